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


def decode_png(path):
    """8-bit, non-interlaced PNG (grey, grey+alpha, RGB, RGBA, palette) to (h, w, channels, bytearray)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, palette = 8, [], None
    width = height = depth = ctype = interlace = None
    while pos < len(raw):
        length, tag = struct.unpack(">I4s", raw[pos:pos + 8])
        body = raw[pos + 8:pos + 8 + length]
        pos += 12 + length
        if tag == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif tag == b"PLTE":
            palette = body
        elif tag == b"IDAT":
            idat.append(body)
        elif tag == b"IEND":
            break
    if depth != 8 or interlace:
        raise ValueError("only 8-bit non-interlaced PNGs can be read without Pillow")
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    stride = width * channels
    data = zlib.decompress(b"".join(idat))
    out = bytearray(height * stride)
    prev = bytearray(stride)
    bpp = channels
    for y in range(height):
        ftype = data[y * (stride + 1)]
        line = bytearray(data[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif ftype == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 255
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif ftype == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                cc = prev[i - bpp] if i >= bpp else 0
                p = a + b - cc
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - cc)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else cc)
                line[i] = (line[i] + pred) & 255
        out[y * stride:(y + 1) * stride] = line
        prev = line
    if ctype == 3:
        if palette is None:
            raise ValueError("palette PNG without a PLTE chunk")
        rgb = bytearray(height * width * 3)
        for i, v in enumerate(out):
            rgb[3 * i:3 * i + 3] = palette[3 * v:3 * v + 3]
        return height, width, 3, rgb
    return height, width, channels, out


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
