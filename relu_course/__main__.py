"""``python -m relu_course``: print the device and the registered activations."""

from relu_course import activations, get_device

print(f"device: {get_device()}")
for name in activations.names():
    print(f"{name:13s} {activations.get(name).formula}")
