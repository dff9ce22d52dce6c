"""Face verification on the device: detection, guided capture, liveness, matching (Qt-free).

Every image and embedding stays in this process's memory and is dropped at the decision.
"""
