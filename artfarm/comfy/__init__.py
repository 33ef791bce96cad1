"""Talking to ComfyUI: the client, its error tree, the job journal, offline graph checks, and
running ComfyUI (or the sketch server) as a service on this machine (service)."""
