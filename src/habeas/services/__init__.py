"""The service layer: the door (:class:`Services`) and one module per concept."""

from habeas.services.door import Services
from habeas.services.unit_of_work import Result

__all__ = ["Result", "Services"]
