"""Image files to uint8 [C, H, W] tensors: through Pillow when installed, else the built-in PNG and PPM/PGM
decoders. Mirrors ``src/training/dataPng.ts``."""

import struct
import zlib

from .data_core import resize_uint8
from .errors import RunError


def read_image(torch, path, c, h, w):
    """One image as uint8 [c, h, w]: decoded through Pillow when installed, else by the built-in PNG/PPM
    readers; then adapted to the model's input by ``resize_uint8`` (not by Pillow, whose resampling differs
    from the TF.js runner's), so both runners make the same bytes of the same file."""
    try:
        from PIL import Image
    except ImportError:
        Image = None
    try:
        if Image is not None:
            with Image.open(path) as im:
                hh, ww, ch, data = pil_pixels(torch, im)
        else:
            lower = path.lower()
            if lower.endswith(".png"):
                hh, ww, ch, data = decode_png(path)
            elif lower.endswith((".ppm", ".pgm")):
                hh, ww, ch, data = decode_pnm(path)
            else:
                raise RunError("reading %s needs Pillow (pip install pillow); without it only PNG and PPM/PGM "
                               "images can be read" % path)
            data = torch.frombuffer(data, dtype=torch.uint8)
        t = data.view(hh, ww, ch).permute(2, 0, 1)
        if ch in (2, 4):
            t = t[:ch - 1]
        return resize_uint8(torch, t.unsqueeze(0).contiguous(), c, h, w)[0]
    except RunError:
        raise
    except Exception as e:
        raise RunError("cannot read image %s: %s: %s" % (path, type(e).__name__, e))


def pil_pixels(torch, im):
    """A Pillow image as (h, w, channels, uint8 tensor HWC) with 1 to 4 channels (grey, grey+alpha, RGB,
    RGBA), 8 bits each: what ``decodeImage`` in ``src/training/dataPng.ts`` returns for the same file."""
    mode = im.mode
    if mode.startswith("I;16") or mode == "I":
        # 16-bit grey keeps its high byte, as the TF.js decoder does (Pillow's own conversion to L clips).
        values = torch.tensor(list(im.getdata()), dtype=torch.int64).clamp(0, 65535) >> 8
        return im.height, im.width, 1, values.to(torch.uint8)
    if mode not in ("L", "LA", "RGB", "RGBA"):
        im = im.convert("L" if mode == "1" else "RGB")
    ch = len(im.mode)
    data = torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8)
    return im.height, im.width, ch, data


_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Adam7 passes (x0, y0, dx, dy); a non-interlaced image is one pass over everything.
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def decode_png(path):
    """A PNG file to (h, w, channels, bytearray HWC, 8 bits per sample): every bit depth and colour type,
    palette transparency (as a fourth channel), interlaced or not. ``decodePng`` in ``src/training/dataPng.ts``
    step for step, so the two runners read a PNG to the same bytes with or without Pillow."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, palette, trns = 8, [], None, None
    width = height = depth = interlace = 0
    ctype = -1
    while pos + 8 <= len(raw):
        length, tag = struct.unpack(">I4s", raw[pos:pos + 8])
        body = raw[pos + 8:pos + 8 + length]
        if len(body) != length:
            raise ValueError("truncated PNG")
        pos += 12 + length
        if tag == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body[:13])
        elif tag == b"PLTE":
            palette = body
        elif tag == b"tRNS":
            trns = body
        elif tag == b"IDAT":
            idat.append(body)
        elif tag == b"IEND":
            break
    channels = _PNG_CHANNELS.get(ctype)
    if not width or not height or channels is None:
        raise ValueError("PNG without a valid IHDR")
    allowed = (1, 2, 4, 8) if ctype == 3 else (1, 2, 4, 8, 16) if ctype == 0 else (8, 16)
    if depth not in allowed:
        raise ValueError("unsupported PNG bit depth %d for colour type %d" % (depth, ctype))
    data = zlib.decompress(b"".join(idat))
    samples = bytearray(width * height * channels) if depth <= 8 else [0] * (width * height * channels)
    bits_per_pixel = depth * channels
    bpp = max(1, bits_per_pixel >> 3)
    offset = 0
    for x0, y0, dx, dy in (_ADAM7 if interlace else ((0, 0, 1, 1),)):
        pw = (width - x0 + dx - 1) // dx
        ph = (height - y0 + dy - 1) // dy
        if pw <= 0 or ph <= 0:
            continue
        stride = (pw * bits_per_pixel + 7) // 8
        prev = bytearray(stride)
        for y in range(ph):
            if offset + 1 + stride > len(data):
                raise ValueError("truncated PNG image data")
            ftype = data[offset]
            line = bytearray(data[offset + 1:offset + 1 + stride])
            offset += 1 + stride
            _unfilter(ftype, line, prev, bpp)
            if depth == 8:
                values = line
            elif depth == 16:
                values = [(line[2 * i] << 8) | line[2 * i + 1] for i in range(pw * channels)]
            else:
                mask = (1 << depth) - 1
                values = [(line[(i * depth) >> 3] >> (8 - depth - ((i * depth) & 7))) & mask
                          for i in range(pw * channels)]
            row = ((y0 + y * dy) * width + x0) * channels
            if dx == 1:
                samples[row:row + pw * channels] = values[:pw * channels]
            else:
                for x in range(pw):
                    out = row + x * dx * channels
                    samples[out:out + channels] = values[x * channels:(x + 1) * channels]
            prev = line
    if ctype == 3:
        if palette is None:
            raise ValueError("palette PNG without a PLTE chunk")
        ch = 4 if trns is not None else 3
        rgb = bytearray(width * height * ch)
        for i, p in enumerate(samples):
            colour = palette[3 * p:3 * p + 3]
            rgb[ch * i:ch * i + len(colour)] = colour
            if ch == 4:
                rgb[ch * i + 3] = trns[p] if p < len(trns) else 255
        return height, width, ch, rgb
    if depth == 8:
        return height, width, channels, samples
    if depth == 16:
        return height, width, channels, bytearray(v >> 8 for v in samples)
    # 1, 2 and 4 bits divide 255 exactly: the TypeScript's Math.round(v * 255 / max) is exact here.
    scale = 255 // ((1 << depth) - 1)
    return height, width, channels, bytearray(v * scale for v in samples)


def _unfilter(ftype, line, prev, bpp):
    n = len(line)
    if ftype == 0:
        return
    if ftype == 1:
        for i in range(bpp, n):
            line[i] = (line[i] + line[i - bpp]) & 255
    elif ftype == 2:
        for i in range(n):
            line[i] = (line[i] + prev[i]) & 255
    elif ftype == 3:
        for i in range(n):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
    elif ftype == 4:
        for i in range(n):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else (b if pb <= pc else c))) & 255
    else:
        raise ValueError("bad PNG filter type %d" % ftype)


def decode_pnm(path):
    with open(path, "rb") as f:
        raw = f.read()
    tokens, pos = [], 0
    while len(tokens) < 4:
        while raw[pos:pos + 1].isspace():
            pos += 1
        if raw[pos:pos + 1] == b"#":
            pos = raw.index(b"\n", pos)
            continue
        start = pos
        while not raw[pos:pos + 1].isspace():
            pos += 1
        tokens.append(raw[start:pos])
    magic, w, h, maxval = tokens[0], int(tokens[1]), int(tokens[2]), int(tokens[3])
    if magic not in (b"P5", b"P6") or maxval != 255:
        raise ValueError("only binary 8-bit PPM (P6) and PGM (P5) can be read without Pillow")
    ch = 3 if magic == b"P6" else 1
    data = bytearray(raw[pos + 1:pos + 1 + w * h * ch])
    return h, w, ch, data
