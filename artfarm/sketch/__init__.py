"""artfarm's sketch server: ComfyUI's API, drawing storyboard sketches instead of running models."""
