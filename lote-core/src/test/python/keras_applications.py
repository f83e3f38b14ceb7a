"""Saves keras.applications models as a user would: keras_applications.py DIR SIZE NAME[.keras|.h5] ... Each is built at
SIZE x SIZE with 5 classes, no weights (random) and logits out, its batch-norm statistics made random too, so a wrong
import shows; NAME.keras and NAME.h5 are the same model. Prints one line per model with its parameter count."""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras

folder, size = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(5)
models = {}  # one model per name: NAME.keras and NAME.h5 are the same model in two formats
for file in sys.argv[3:]:
    name = os.path.splitext(file)[0]
    if name not in models:
        model = getattr(keras.applications, name)(weights=None, input_shape=(size, size, 3), classes=5, classifier_activation=None)
        for layer in model.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                # gains just under 1 on average: the 40 blocks of EfficientNetV2S would otherwise grow activations to 1e5,
                # where float32 rounding alone (Keras against itself with and without oneDNN) changes the logits entirely
                draw = {"gamma": lambda s: rng.uniform(0.5, 1.1, s), "beta": lambda s: rng.normal(0, 0.1, s),
                        "moving_mean": lambda s: rng.normal(0, 0.1, s), "moving_variance": lambda s: rng.uniform(0.8, 1.6, s)}
                # by name: a batch normalization without scale (Inception's) has no gamma
                layer.set_weights([draw[w.name.split("/")[-1]](w.shape) for w in layer.weights])
        models[name] = model
    models[name].save(os.path.join(folder, file))
    print(file, models[name].count_params())
