"""The fixed tables behind :mod:`kura.market.synthetic`: names, catchment areas, prevalence, codes.

Prevalences are rough US adult figures by age (CDC NHANES-style orders of
magnitude), enough for the research queries of the demo to find the known
associations (diabetes with high HbA1c, hypertension with high blood pressure,
both rising with age); they are not epidemiology.
"""

from __future__ import annotations

from dataclasses import dataclass

ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"

GIVEN_FEMALE = (
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Lisa",
    "Nancy",
    "Betty",
    "Margaret",
    "Sandra",
    "Ashley",
    "Kimberly",
    "Emily",
    "Donna",
    "Michelle",
    "Carol",
    "Amanda",
    "Dorothy",
    "Melissa",
    "Deborah",
    "Stephanie",
    "Rebecca",
    "Sharon",
    "Laura",
    "Cynthia",
)
GIVEN_MALE = (
    "James",
    "Robert",
    "John",
    "Michael",
    "David",
    "William",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
    "Christopher",
    "Daniel",
    "Matthew",
    "Anthony",
    "Mark",
    "Donald",
    "Steven",
    "Paul",
    "Andrew",
    "Joshua",
    "Kenneth",
    "Kevin",
    "Brian",
    "George",
    "Timothy",
    "Ronald",
    "Edward",
    "Jason",
    "Jeffrey",
    "Ryan",
)
FAMILY = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
)
STREETS = ("Maple", "Oak", "Pine", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Main", "River", "Church")
STREET_KINDS = ("Street", "Avenue", "Road", "Lane", "Drive", "Court")


@dataclass(frozen=True)
class Area:
    """A ZIP-3 area of a catchment: prefix, a town in it, its state, phone area code and relative weight."""

    zip3: str
    city: str
    state: str
    phone_area: str
    weight: int


@dataclass(frozen=True)
class InstitutionProfile:
    """Who an institution is and where its patients live.

    Attributes:
        slug: Short name used in ids and the FHIR base URL (``https://fhir.<slug>.example/``).
        name: Display name of the institution's ``Organization``.
        areas: The ZIP-3 areas of its catchment, several of them on the Safe Harbor restricted list.
    """

    slug: str
    name: str
    areas: tuple[Area, ...]

    @property
    def base_url(self) -> str:
        """The FHIR base URL its resources' ``fullUrl`` values start with."""
        return f"https://fhir.{self.slug}.example/"


NORTHERN_NEW_ENGLAND = InstitutionProfile(
    slug="granite-general",
    name="Granite General Hospital",
    areas=(
        Area("031", "Manchester", "NH", "603", 30),
        Area("030", "Nashua", "NH", "603", 22),
        Area("033", "Concord", "NH", "603", 14),
        Area("038", "Portsmouth", "NH", "603", 10),
        Area("032", "Laconia", "NH", "603", 6),
        Area("034", "Keene", "NH", "603", 5),
        Area("037", "Lebanon", "NH", "603", 4),
        Area("036", "Claremont", "NH", "603", 3),
        Area("054", "Burlington", "VT", "802", 4),
        Area("059", "St. Johnsbury", "VT", "802", 2),
    ),
)
"""A New Hampshire hospital; 036 and 059 are restricted ZIP-3 prefixes."""

MOUNTAIN_WEST = InstitutionProfile(
    slug="basin-medical",
    name="Great Basin Medical Center",
    areas=(
        Area("891", "Las Vegas", "NV", "702", 34),
        Area("889", "North Las Vegas", "NV", "702", 12),
        Area("895", "Reno", "NV", "775", 16),
        Area("897", "Carson City", "NV", "775", 6),
        Area("841", "Salt Lake City", "UT", "801", 14),
        Area("844", "Ogden", "UT", "801", 8),
        Area("890", "Mesquite", "NV", "702", 3),
        Area("893", "Ely", "NV", "775", 2),
        Area("821", "Yellowstone", "WY", "307", 2),
        Area("830", "Jackson", "WY", "307", 3),
    ),
)
"""A Nevada/Utah medical centre; 890, 893, 821 and 830 are restricted ZIP-3 prefixes."""

PROFILES = {profile.slug: profile for profile in (NORTHERN_NEW_ENGLAND, MOUNTAIN_WEST)}
"""The two demo hospitals, by slug."""

AGE_BANDS = ((0, 4), (10, 5), (20, 9), (30, 11), (40, 13), (50, 15), (60, 17), (70, 15), (80, 9), (90, 3))
"""``(first age of a 10-year band, relative weight)`` of a hospital's patients."""


@dataclass(frozen=True)
class ConditionKind:
    """A condition the generator can give: ICD-10-CM code, display, prevalence by age band, youngest onset."""

    code: str
    display: str
    by_decade: tuple[float, ...]
    youngest_onset: int


CONDITIONS = (
    ConditionKind(
        "I10", "Essential (primary) hypertension", (0.0, 0.01, 0.04, 0.10, 0.22, 0.38, 0.52, 0.62, 0.66, 0.68), 18
    ),
    ConditionKind(
        "E11.9",
        "Type 2 diabetes mellitus without complications",
        (0.0, 0.002, 0.01, 0.03, 0.08, 0.14, 0.19, 0.22, 0.20, 0.17),
        15,
    ),
    ConditionKind(
        "E78.5", "Hyperlipidemia, unspecified", (0.0, 0.0, 0.04, 0.08, 0.16, 0.26, 0.33, 0.35, 0.30, 0.25), 20
    ),
    ConditionKind(
        "J45.909", "Unspecified asthma, uncomplicated", (0.08, 0.10, 0.08, 0.08, 0.08, 0.08, 0.08, 0.07, 0.07, 0.06), 2
    ),
    ConditionKind(
        "N18.30",
        "Chronic kidney disease, stage 3 unspecified",
        (0.0, 0.0, 0.0, 0.01, 0.02, 0.04, 0.08, 0.14, 0.20, 0.24),
        30,
    ),
    ConditionKind(
        "I25.10",
        "Atherosclerotic heart disease of native coronary artery without angina pectoris",
        (0.0, 0.0, 0.0, 0.005, 0.02, 0.05, 0.10, 0.15, 0.18, 0.18),
        35,
    ),
    ConditionKind(
        "F32.9",
        "Major depressive disorder, single episode, unspecified",
        (0.0, 0.05, 0.09, 0.09, 0.08, 0.07, 0.06, 0.05, 0.05, 0.05),
        10,
    ),
)
HYPERTENSION, DIABETES = CONDITIONS[0].code, CONDITIONS[1].code
DIABETES_GIVEN_HYPERTENSION = 1.6
"""How much more likely type 2 diabetes is for a patient with hypertension."""

HBA1C = ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood")
BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONSENT_CATEGORY = "http://terminology.hl7.org/CodeSystem/consentcategorycodes"
RECORD_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"

CONSENT_MIX = (
    ("none", 12),
    ("permit-hresch", 52),
    ("permit-hresch-open", 8),
    ("permit-clintrch", 6),
    ("permit-except-pharma", 5),
    ("opt-out", 7),
    ("revoked", 4),
    ("proposed", 2),
    ("expired", 4),
)
"""Kinds of research consent and their relative frequency (see ``synthetic._consents``)."""
PHARMA = "Organization/pharma-partner"
"""The recipient some patients' consents exclude."""
