"""Compiling registered versions to ONNX, and proving the ONNX form answers as the
original does before anything serves it.

`layout` says what the model takes, `converter` is the skl2onnx boundary, `runtime`
runs an ONNX form with the original's output shapes, `check` compares the two and
times them, and `services` records the outcome (the only writes).
"""
