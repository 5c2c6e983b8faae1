"""A loaded model in numpy, without TensorFlow: prediction, completion, generation, learning,
evaluation."""
