"""Talking to ComfyUI: the client, its error tree, the job journal, offline graph checks, the
upload names compiler and client share (uploads), running ComfyUI (or the sketch server) as a
service on this machine (service, start_failure), `artfarm comfyui doctor` (doctor), the look
at every server before a run (health), and the loopback rule every artfarm server keeps
(loopback)."""
