"""Input and output serializers of the Management API, one module per resource.

Names are unique across the project: drf-spectacular builds component names from them.
"""
