"""The Keras network: the model, its layers, the fast recurrent cells."""
