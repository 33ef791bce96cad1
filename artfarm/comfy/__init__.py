"""Talking to ComfyUI: the client, its error tree, the job journal and offline graph checks."""
