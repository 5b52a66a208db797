"""ResNet Studio's PyTorch training runner.

    python resnet_studio_train.py --config RUN_DIR/config.json [--resume]
    python -m torch.distributed.run --nproc_per_node N resnet_studio_train.py --config ... [--resume]

The config is the run's ``config.json`` (written by ``src/training/runStore.ts``). Keys, all camelCase:

    modelFile      path of the user's .py file (required)
    modelSnapshot  optional copy of that file, relative to the run directory; preferred when present so that
                   a resume trains the same code even if the user has edited their file since
    modelName      class or factory function defined in that file (required)
    modelArgs      call arguments in Python syntax, evaluated in the module's namespace ("num_classes=10")
    inputShape     [N, C, H, W]; N is ignored, C/H/W fix the image size
    data           "synthetic", an ImageFolder directory, or a directory of CIFAR-10 binary batches
    epochs, batchSize (per process), lr, optimizer ("sgd" | "adam"), momentum, weightDecay,
    schedule ("none" | "step" | "cosine"), lrSteps (epochs, for "step"), lrGamma, seed, valSplit, augment
    device         "auto" (cuda, then mps, then cpu) | "cuda" | "mps" | "cpu"
    amp            mixed precision on CUDA (default true); channelsLast (default true on CUDA)
    logEvery       train metric row every N steps (default 20); threads (CPU threads); workers (data loader
                   processes for streamed image folders); syntheticSize (images, default 5000);
    maxSteps       stop (as "completed") after this many optimiser steps in total; keepCheckpoints (default 3)
    preloadLimit   image folders up to this many bytes (decoded) are held in memory, larger ones are decoded
                   per batch by `workers` loader processes (default 2 GiB)
    runDir         defaults to the directory holding the config file
    resume         same as --resume

Protocol rows (see ``src/training/protocol.ts``) go to stdout, one JSON object per line, and are appended
to ``RUN_DIR/metrics.jsonl``. Everything else (including the user's own prints) goes to stderr, so stdout
carries nothing but rows. In a distributed run only rank 0 writes rows. Epochs in rows are 1-based; ``step``
is the number of optimiser steps taken since the run first began.

Exit status: 0 completed or stopped, 1 failed, 2 unusable command line.

Modules: ``config`` (the config file), ``rows`` and ``log`` (what the run reports), ``signals`` (stop
requests), ``distributed`` (torchrun's environment), ``data`` and its readers ``data_synthetic``,
``data_cifar`` and ``data_image_folder`` over ``data_core`` and ``images`` (mirroring
``src/training/data*.ts``), ``trainer`` with ``checkpoints``, ``step_flags`` and ``model_utils``, and
``__main__`` (the entry point). Nothing here imports torch at import time, so a bad config or data path
fails before torch loads.
"""
