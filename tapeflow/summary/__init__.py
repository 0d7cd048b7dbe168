"""`tf.summary` (TensorBoard event files) and `tf.profiler.experimental` (a host profile):
see writer.py, records.py and profiler.py."""
