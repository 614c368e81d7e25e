"""The release schema: the CTDC Global Synthetic case fields, our journey-leg fields, their codes.

Every category domain here is public (the CTDC codebook, ISO 3166), never taken from data.
"""

from __future__ import annotations

MISSING = ""  # CTDC synthetic releases leave missing values blank
OTHER = "Other"  # a value generalised away (a country no published share names)

CASE_ID = "caseId"
LEG_ID = "legId"

AGE_BANDS = ("0--8", "9--17", "18--20", "21--23", "24--26", "27--29", "30--38", "39--47", "48+")
CHILD_BANDS = ("0--8", "9--17")
ADULT_BANDS = tuple(b for b in AGE_BANDS if b not in CHILD_BANDS)

GENDERS = ("Woman", "Man", "Trans/Transgender/NonConforming")
TRAFFICK_MONTHS = ("0--12 (0-1 yr)", "13--24 (1-2 yrs)", "25+ (2+ yrs)")
FLAG = ("1", "0")

# The 27 fields of the CTDC Global Synthetic Dataset, in its order.
CASE_COLUMNS = (
    "yearOfRegistration", "gender", "ageBroad", "citizenship", "CountryOfExploitation",
    "traffickMonths", "isForcedLabour", "isSexualExploit", "isOtherExploit",
    "meansDebtBondageEarnings", "meansThreats", "meansAbusePsyPhySex", "meansFalsePromises",
    "meansDrugsAlcohol", "meansDenyBasicNeeds", "meansExcessiveWorkHours", "meansWithholdDocs",
    "recruiterRelationIntimatePartner", "recruiterRelationFriend", "recruiterRelationFamily",
    "recruiterRelationOther", "typeOfLabourAgriculture", "typeOfLabourConstruction",
    "typeOfLabourDomesticWork", "typeOfLabourHospitality", "typeOfSexProstitution",
    "typeOfSexPornography",
)

# One row per international journey leg; a leg belongs to one case.
LEG_COLUMNS = (
    "legIndex", "borderPoint", "transportMode", "travelDocument",
    "exploitedBeforeCrossing", "travelledInGroup",
)
LEG_DOMAINS = {
    "legIndex": ("1", "2", "3", "4"),
    "borderPoint": ("official", "unofficial"),
    "transportMode": ("bus", "train", "plane", "other"),
    # notOwn: travelling on a document that is not one's own, or someone else holds it
    "travelDocument": ("own", "forged", "notOwn"),
    "exploitedBeforeCrossing": FLAG,
    "travelledInGroup": FLAG,
}
# How many legs a case has: none (a journey inside one country) up to the last legIndex.
# The columns of the two release tables, in order.
CASE_TABLE_COLUMNS = (CASE_ID, *CASE_COLUMNS)
LEG_TABLE_COLUMNS = (LEG_ID, CASE_ID, *LEG_COLUMNS)
# A journey's columns: the same on every leg of a case, so they describe the case's journey.
JOURNEY_COLUMNS = tuple(c for c in LEG_COLUMNS if c != "legIndex")
LEG_COUNT = "legCount"  # how many international legs a journey has
LEG_COUNTS = ("0", *LEG_DOMAINS["legIndex"])

DEFAULT_QUASI_IDENTIFIERS = (
    "gender", "ageBroad", "citizenship", "CountryOfExploitation", "yearOfRegistration",
)
LEG_QUASI_IDENTIFIERS = ("borderPoint", "transportMode", "travelDocument")

# Named groups of values that figure files may use in filters, and that k-anonymisation may
# generalise a value into (an age band into a wider one).
VALUE_GROUPS = {
    "ageBroad": {"child": CHILD_BANDS, "adult": ADULT_BANDS},
}
