"""Profile-ready files of an avatar (export, frames sheet) and its looping animation."""
