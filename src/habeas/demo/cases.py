"""The 261 synthetic people of the seed operation and the part the scenario gives each of them."""

from __future__ import annotations

from dataclasses import dataclass

from habeas.demo import world as w
from habeas.demo.synthetic import PeopleFactory, SyntheticPerson

VENEZUELANS = 238
WARTIME = 137  # of the Venezuelans, removed under the wartime-powers proclamation; the other 101 ordinary
SALVADORANS = 23
CONVICTED_SV = frozenset({1, 6, 11, 16, 21})  # the few Salvadorans with a conviction (index among them)
DISTRICT = frozenset(range(WARTIME - 12, WARTIME))  # 12 wartime designees staged at Willacy County
MISSING = 200  # an ordinary-order Venezuelan, not there at the arrival count


@dataclass(frozen=True)
class Case:
    """One synthetic person and the role the scenario gives them."""

    person: SyntheticPerson
    index: int
    basis: str
    organisation: str
    convicted: bool = False
    protected: bool = False  # the alternate: withholding of removal to El Salvador
    district: bool = False  # staged at Willacy County, in the district whose court orders before departure
    missing: bool = False  # not there at the arrival count

    @property
    def pid(self) -> str:
        return self.person.person_id

    @property
    def order_id(self) -> str:
        return f"ro-{self.pid}"

    @property
    def wartime(self) -> bool:
        return self.basis == w.WARTIME_BASIS


def cases(seed: int = 2025) -> list[Case]:
    """The 261, in manifest order; the protected alternate, who moved up the list, comes last."""
    factory = PeopleFactory(seed)
    out: list[Case] = []
    for i in range(VENEZUELANS):
        basis = w.WARTIME_BASIS if i < WARTIME else w.ORDINARY_BASIS
        out.append(Case(factory.person("VE"), len(out), basis, "Tren de Aragua", district=i in DISTRICT,
                        missing=i == MISSING))
    for k in range(SALVADORANS):
        out.append(
            Case(
                factory.person("SV"), len(out), w.ORDINARY_BASIS, "MS-13",
                convicted=k in CONVICTED_SV, protected=k == SALVADORANS - 1,
            )
        )
    return out
