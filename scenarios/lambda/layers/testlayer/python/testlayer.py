# Content of the dummy layer the layer scenarios publish (only its presence matters).
def layer_value():
    return "testlayer"
