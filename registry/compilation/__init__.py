"""Compiling registered versions to ONNX, and proving the ONNX form answers as the
original does before anything serves it.

`layout` says what the model takes as ONNX inputs (from registry.input_contract),
`converter` is the skl2onnx boundary, `form` runs an ONNX form with the original's
output shapes, `check` compares the two and times them, and `services` records the
outcome (the only writes). Serving answers requests through the same `form`
(serving.runtime).
"""
