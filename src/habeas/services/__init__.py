"""The service layer: the door (:class:`habeas.services.door.Services`) and one module per concept.

Importing the package imports none of them: an entry point imports the concepts it uses.
"""
