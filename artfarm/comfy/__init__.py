"""Talking to ComfyUI: the client, its error tree, the job journal, offline graph checks, the
upload names compiler and client share (uploads), running ComfyUI (or the sketch server) as a
service on this machine (service, start_failure), and `artfarm comfyui doctor` (doctor)."""
