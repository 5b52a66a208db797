#!/usr/bin/env python3
"""Entry script of ResNet Studio's PyTorch training runner (the ``resnet_studio`` package next to it).

    python resnet_studio_train.py --config RUN_DIR/config.json [--resume]
    python -m torch.distributed.run --nproc_per_node N resnet_studio_train.py --config ... [--resume]

torchrun launches a script path, not a module, so this file stays: it makes the package importable from its
own folder, wherever the extension is installed, and runs the package's ``main``.
"""

import os
import sys

if __name__ == "__main__":
    # No __pycache__ folders in the extension's install folder (it may be read-only) or in a checkout.
    sys.dont_write_bytecode = True
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    from resnet_studio.__main__ import main

    sys.exit(main())
