"""The built-in chibi model: a small latent diffusion pipeline, its training and evaluation.

Heavy modules (torch, diffusers) are imported by the submodules only, never here.
"""
