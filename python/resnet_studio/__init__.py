"""ResNet Studio's PyTorch training runner.

    python resnet_studio_train.py --config RUN_DIR/config.json [--resume]
    python -m torch.distributed.run --nproc_per_node N resnet_studio_train.py --config ... [--resume]

The config is the run's ``config.json`` (written by ``src/training/runStore.ts``). Its keys, with their types,
bounds, defaults and meanings, are declared once in ``src/protocol/trainingProtocol.ts``, from which
``run_config.schema.json`` in this package is generated; ``config`` checks the file against that schema and
fills in its defaults. ``resume`` in the config is the same as --resume.

Protocol rows (``training_rows.schema.json``, also declared in ``src/protocol/trainingProtocol.ts``) go to
stdout, one JSON object per line, and are appended to ``RUN_DIR/metrics.jsonl``. Everything else (including
the user's own prints) goes to stderr, so stdout carries nothing but rows. In a distributed run only rank 0 writes rows. Epochs in rows are 1-based; ``step``
is the number of optimiser steps taken since the run first began, and ``attempt`` numbers the starts of the run
(see ``rows``).

Exit status: 0 completed or stopped, 1 failed, 2 unusable command line.

Modules: ``config`` (the config file), ``rows`` and ``log`` (what the run reports), ``signals`` (stop
requests), ``distributed`` (torchrun's environment), ``data`` and its readers ``data_synthetic``,
``data_cifar`` and ``data_image_folder`` over ``data_core`` and ``images`` (mirroring
``src/training/data*.ts``), ``trainer`` with ``checkpoints``, ``step_flags`` and ``model_utils``, and
``__main__`` (the entry point). Nothing here imports torch at import time, so a bad config or data path
fails before torch loads.
"""
