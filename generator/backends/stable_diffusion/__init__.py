"""The Stable Diffusion backend: local SD 1.5 / SDXL / Turbo checkpoints, LoRA, photo to chibi.

Modules: options (settings -> SDOptions), families (per-family defaults), loader
(checkpoint -> pipeline, offline), prompt (spec -> text),
safety (checker and hook), photo (upload checks -> init image), backend (the
GeneratorBackend). Tests and benchmarks build a tiny random pipeline in tests/generator/tiny_sd.py.
Nothing here is imported by `generator.backends` until a worker asks for it.
"""
