"""Saves keras.applications models as a user would: keras_applications.py DIR NAME[.keras|.h5] ... Each is built at
64x64 with 5 classes, no weights (random) and logits out, its batch-norm statistics made random too, so a wrong
import shows; NAME.keras and NAME.h5 are the same model. Prints one line per model with its parameter count."""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras

folder = sys.argv[1]
rng = np.random.default_rng(5)
models = {}  # one model per name: NAME.keras and NAME.h5 are the same model in two formats
for file in sys.argv[2:]:
    name = os.path.splitext(file)[0]
    if name not in models:
        model = getattr(keras.applications, name)(weights=None, input_shape=(64, 64, 3), classes=5, classifier_activation=None)
        for layer in model.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                gamma, beta, mean, var = layer.get_weights()
                layer.set_weights([rng.uniform(0.5, 1.5, gamma.shape), rng.normal(0, 0.1, beta.shape),
                                   rng.normal(0, 0.1, mean.shape), rng.uniform(0.5, 1.5, var.shape)])
        models[name] = model
    models[name].save(os.path.join(folder, file))
    print(file, models[name].count_params())
