"""TensorFlow's namespaces (`tf.math`, `tf.nn`, `tf.linalg`, `tf.random`, `tf.keras`,
`tf.errors`), each a module of re-exports so `import tapeflow as tf` code finds its names."""
