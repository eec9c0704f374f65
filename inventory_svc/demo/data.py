"""Demo data set for a US hospital pharmacy: suppliers, locations, items, stock, par levels, and
the crash carts and anesthesia trays (kit templates drawer by drawer, kits in every state).

Pure data (no I/O, no database imports).  Loaders elsewhere turn these tuples into rows.

NDCs are printed the way they appear on the package (labeler-product-package with dashes, in
the labeler's 4-4-2, 5-3-2 or 5-4-1 layout).  They were chosen from the FDA NDC Directory
listings of real products; for vials/syringes sold in trays or cartons the NDC of the unit of
use (the vial, syringe or bag) is used where the listing gives one.  The unit-of-use GTIN-14 is
always derived from the NDC by :func:`gtin_for_ndc` ("0" + "03" + 10 NDC digits + GS1 check
digit), and carton GTINs use indicator digit 5 on the same NDC.

Stock expiry is given relative to "today" (``expiry_offset_days``) so the demo always has a few
lots expiring within 30 days and one expired lot waiting in quarantine.
"""

from __future__ import annotations

from dataclasses import dataclass

from inventory_svc.domain.barcodes import gtin_from_ndc

__all__ = [
    "ITEMS",
    "KITS",
    "KIT_SOURCE",
    "KIT_TEMPLATES",
    "LOCATIONS",
    "PAR_LEVELS",
    "PAR_SOURCES",
    "STOCK",
    "SUPPLIERS",
    "SUPPLIER_ITEMS",
    "USAGE",
    "DemoIdentifier",
    "DemoItem",
    "DemoKit",
    "DemoKitSlot",
    "DemoKitTemplate",
    "DemoLocation",
    "DemoStock",
    "DemoSupplier",
    "DemoSupplierItem",
    "DemoUsage",
    "gtin_for_ndc",
]


@dataclass(frozen=True, slots=True)
class DemoIdentifier:
    kind: str  # "ndc" | "gtin" | "upc" | "internal"
    value: str  # ndc as printed with dashes, e.g. "0409-4921-34"; gtin as 14 digits
    units: int = 1  # base units one scan of this identifier means (carton GTIN = e.g. 10 or 25)


@dataclass(frozen=True, slots=True)
class DemoItem:
    key: str  # short stable key, e.g. "epinephrine-1mg-10ml"
    name: str  # "Epinephrine"
    strength: str  # "1 mg/10 mL (0.1 mg/mL)"
    form: str  # "prefilled syringe", "vial", "ampule", "tablet", ...
    base_unit: str  # "syringe", "vial", "tablet", "bag", ...
    schedule: str | None  # controlled-substance schedule "CII".."CV" or None
    supplier: str  # supplier key
    identifiers: tuple[DemoIdentifier, ...]
    crash_cart: bool = False  # belongs in crash-cart kit
    anesthesia: bool = False  # belongs in anesthesia tray


@dataclass(frozen=True, slots=True)
class DemoLocation:
    code: str
    name: str
    kind: str  # storeroom, shelf, bin, satellite, adc, quarantine, crash_cart, anesthesia_tray
    parent: str | None  # code of the parent location


@dataclass(frozen=True, slots=True)
class DemoStock:
    item: str
    location: str
    lot: str
    expiry_offset_days: int  # expiry = today + this many days (negative: already expired)
    quantity: int  # in base units


@dataclass(frozen=True, slots=True)
class DemoSupplier:
    key: str
    name: str
    account_number: str


def gtin_for_ndc(ndc: str, indicator: int = 0) -> str:
    """GTIN-14 for a printed NDC; the one implementation lives in the barcode interpreter."""
    return gtin_from_ndc(ndc, indicator)


SUPPLIERS: tuple[DemoSupplier, ...] = (
    DemoSupplier("cardinal", "Cardinal Health", "CAH-4471-20938"),
    DemoSupplier("mckesson", "McKesson Medical-Surgical", "MCK-880216-01"),
    DemoSupplier("cencora", "Cencora (formerly AmerisourceBergen)", "ABC-0057731"),
)


LOCATIONS: tuple[DemoLocation, ...] = (
    DemoLocation("HOSP", "General Hospital", "storeroom", None),
    DemoLocation("MAIN-STORE", "Main Pharmacy Storeroom", "storeroom", "HOSP"),
    DemoLocation("MAIN-A1", "Shelf A1 - Emergency / crash-cart restock", "shelf", "MAIN-STORE"),
    DemoLocation("MAIN-A1-01", "Bin A1-01 - Resuscitation syringes", "bin", "MAIN-A1"),
    DemoLocation("MAIN-A1-02", "Bin A1-02 - Resuscitation vials", "bin", "MAIN-A1"),
    DemoLocation("MAIN-A2", "Shelf A2 - Anesthesia", "shelf", "MAIN-STORE"),
    DemoLocation("MAIN-A2-01", "Bin A2-01 - Induction, pressors and reversal", "bin", "MAIN-A2"),
    DemoLocation("MAIN-A2-02", "Bin A2-02 - Controlled substances (locked)", "bin", "MAIN-A2"),
    DemoLocation("MAIN-A3", "Shelf A3 - Floor stock and IV fluids", "shelf", "MAIN-STORE"),
    DemoLocation("MAIN-A3-01", "Bin A3-01 - Antibiotics and IV powders", "bin", "MAIN-A3"),
    DemoLocation("MAIN-A3-02", "Bin A3-02 - Anticoagulants and oral unit dose", "bin", "MAIN-A3"),
    DemoLocation("MAIN-A4", "Shelf A4 - Refrigerator (2-8 C)", "shelf", "MAIN-STORE"),
    DemoLocation("MAIN-A4-01", "Bin A4-01 - Neuromuscular blockers (cold)", "bin", "MAIN-A4"),
    DemoLocation("MAIN-A4-02", "Bin A4-02 - Insulin (cold)", "bin", "MAIN-A4"),
    DemoLocation("MAIN-A5", "Shelf A5 - Kit restock (crash carts, trays)", "shelf", "MAIN-STORE"),
    DemoLocation("QUAR", "Quarantine - expired / recalled", "quarantine", "MAIN-STORE"),
    DemoLocation("SAT-ICU", "ICU Satellite Pharmacy", "satellite", "HOSP"),
    DemoLocation("SAT-OR", "OR Satellite Pharmacy", "satellite", "HOSP"),
    DemoLocation("SAT-ED", "Emergency Department Satellite", "satellite", "HOSP"),
    DemoLocation("ADC-4W", "Pyxis MedStation - 4 West", "adc", "HOSP"),
)


ITEMS: tuple[DemoItem, ...] = (
    # --- Crash-cart drugs -------------------------------------------------------------------
    DemoItem(
        key="epinephrine-1mg-10ml",
        name="Epinephrine",
        strength="1 mg/10 mL (0.1 mg/mL)",
        form="prefilled syringe",
        base_unit="syringe",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Hospira LifeShield Abboject
            DemoIdentifier("ndc", "0409-4921-34"),
            DemoIdentifier("gtin", gtin_for_ndc("0409-4921-34")),
            DemoIdentifier("gtin", gtin_for_ndc("0409-4921-34", 5), units=10),
        ),
        crash_cart=True,
    ),
    DemoItem(
        key="epinephrine-1mg-1ml",
        name="Epinephrine (Adrenalin)",
        strength="1 mg/mL (1:1,000), 1 mL",
        form="vial",
        base_unit="vial",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Par Adrenalin 1 mL vial, carton of 25
            DemoIdentifier("ndc", "42023-159-01"),
            DemoIdentifier("gtin", gtin_for_ndc("42023-159-01")),
            DemoIdentifier("gtin", gtin_for_ndc("42023-159-01", 5), units=25),
        ),
        crash_cart=True,
    ),
    DemoItem(
        key="atropine-1mg-10ml",
        name="Atropine Sulfate",
        strength="1 mg/10 mL (0.1 mg/mL)",
        form="prefilled syringe",
        base_unit="syringe",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Accord 10 mL glass syringe
            DemoIdentifier("ndc", "16729-484-03"),
            DemoIdentifier("gtin", gtin_for_ndc("16729-484-03")),
        ),
        crash_cart=True,
        anesthesia=True,
    ),
    DemoItem(
        key="amiodarone-150mg-3ml",
        name="Amiodarone HCl",
        strength="150 mg/3 mL (50 mg/mL)",
        form="vial",
        base_unit="vial",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Fresenius Kabi, tray of 25
            DemoIdentifier("ndc", "65219-643-01"),
            DemoIdentifier("gtin", gtin_for_ndc("65219-643-01")),
        ),
        crash_cart=True,
    ),
    DemoItem(
        key="adenosine-6mg-2ml",
        name="Adenosine",
        strength="6 mg/2 mL (3 mg/mL)",
        form="vial",
        base_unit="vial",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Fresenius Kabi, tray of 10
            DemoIdentifier("ndc", "63323-651-00"),
            DemoIdentifier("gtin", gtin_for_ndc("63323-651-00")),
            DemoIdentifier("gtin", gtin_for_ndc("63323-651-00", 5), units=10),
        ),
        crash_cart=True,
    ),
    DemoItem(
        key="dextrose-50pct-50ml",
        name="Dextrose 50%",
        strength="25 g/50 mL (0.5 g/mL)",
        form="prefilled syringe",
        base_unit="syringe",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Hospira LifeShield Abboject
            DemoIdentifier("ndc", "0409-4902-34"),
            DemoIdentifier("gtin", gtin_for_ndc("0409-4902-34")),
        ),
        crash_cart=True,
    ),
    DemoItem(
        key="naloxone-0.4mg-1ml",
        name="Naloxone HCl",
        strength="0.4 mg/mL, 1 mL",
        form="prefilled cartridge (Carpuject)",
        base_unit="cartridge",
        schedule=None,
        supplier="mckesson",
        identifiers=(  # Hospira Carpuject, box of 10
            DemoIdentifier("ndc", "0409-1782-03"),
            DemoIdentifier("gtin", gtin_for_ndc("0409-1782-03")),
        ),
        crash_cart=True,
    ),
    DemoItem(
        key="sodium-bicarbonate-8.4pct-50ml",
        name="Sodium Bicarbonate 8.4%",
        strength="50 mEq/50 mL (1 mEq/mL)",
        form="prefilled syringe",
        base_unit="syringe",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Hospira LifeShield Abboject (list 6637)
            DemoIdentifier("ndc", "0409-6637-34"),
            DemoIdentifier("gtin", gtin_for_ndc("0409-6637-34")),
        ),
        crash_cart=True,
    ),
    DemoItem(
        key="calcium-chloride-1g-10ml",
        name="Calcium Chloride 10%",
        strength="1 g/10 mL (100 mg/mL, 13.6 mEq)",
        form="prefilled syringe",
        base_unit="syringe",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Amneal glass syringe
            DemoIdentifier("ndc", "70121-2308-1"),
            DemoIdentifier("gtin", gtin_for_ndc("70121-2308-1")),
        ),
        crash_cart=True,
    ),
    DemoItem(
        key="lidocaine-2pct-100mg-5ml",
        name="Lidocaine HCl 2% (antiarrhythmic)",
        strength="100 mg/5 mL (20 mg/mL)",
        form="prefilled syringe",
        base_unit="syringe",
        schedule=None,
        supplier="mckesson",
        identifiers=(  # HealthFirst (repackaged Hospira LifeShield syringe)
            DemoIdentifier("ndc", "51662-1454-1"),
            DemoIdentifier("gtin", gtin_for_ndc("51662-1454-1")),
        ),
        crash_cart=True,
    ),
    DemoItem(
        key="magnesium-sulfate-1g-2ml",
        name="Magnesium Sulfate 50%",
        strength="1 g/2 mL (500 mg/mL)",
        form="vial",
        base_unit="vial",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Fresenius Kabi, tray of 25
            DemoIdentifier("ndc", "63323-064-21"),
            DemoIdentifier("gtin", gtin_for_ndc("63323-064-21")),
            DemoIdentifier("gtin", gtin_for_ndc("63323-064-21", 5), units=25),
        ),
        crash_cart=True,
    ),
    # Second makers (interchangeable in one kit slot) and the pediatric strengths.
    DemoItem(
        key="epinephrine-1mg-10ml-ims",
        name="Epinephrine (Luer-Jet)",
        strength="1 mg/10 mL (0.1 mg/mL)",
        form="prefilled syringe",
        base_unit="syringe",
        schedule=None,
        supplier="mckesson",
        identifiers=(  # Amphastar / IMS Luer-Jet, carton of 10
            DemoIdentifier("ndc", "76329-3316-1"),
            DemoIdentifier("gtin", gtin_for_ndc("76329-3316-1")),
            DemoIdentifier("gtin", gtin_for_ndc("76329-3316-1", 5), units=10),
        ),
        crash_cart=True,
    ),
    DemoItem(
        key="amiodarone-150mg-3ml-hikma",
        name="Amiodarone HCl (Hikma)",
        strength="150 mg/3 mL (50 mg/mL)",
        form="vial",
        base_unit="vial",
        schedule=None,
        supplier="cencora",
        identifiers=(  # Hikma, carton of 10
            DemoIdentifier("ndc", "0143-9875-10"),
            DemoIdentifier("gtin", gtin_for_ndc("0143-9875-10")),
        ),
        crash_cart=True,
    ),
    DemoItem(
        key="dextrose-25pct-10ml",
        name="Dextrose 25% (infant)",
        strength="2.5 g/10 mL (250 mg/mL)",
        form="prefilled syringe",
        base_unit="syringe",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Hospira Ansyr plastic syringe
            DemoIdentifier("ndc", "0409-1775-10"),
            DemoIdentifier("gtin", gtin_for_ndc("0409-1775-10")),
        ),
        crash_cart=True,
    ),
    DemoItem(
        key="sodium-bicarbonate-4.2pct-10ml",
        name="Sodium Bicarbonate 4.2% (infant)",
        strength="5 mEq/10 mL (0.5 mEq/mL)",
        form="prefilled syringe",
        base_unit="syringe",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Hospira Abboject infant syringe (list 5534)
            DemoIdentifier("ndc", "0409-5534-34"),
            DemoIdentifier("gtin", gtin_for_ndc("0409-5534-34")),
        ),
        crash_cart=True,
    ),
    # --- Anesthesia-tray drugs --------------------------------------------------------------
    DemoItem(
        key="propofol-200mg-20ml",
        name="Propofol (Diprivan)",
        strength="200 mg/20 mL (10 mg/mL)",
        form="vial (injectable emulsion)",
        base_unit="vial",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Fresenius Kabi Diprivan, box of 10
            DemoIdentifier("ndc", "63323-269-22"),
            DemoIdentifier("gtin", gtin_for_ndc("63323-269-22")),
            DemoIdentifier("gtin", gtin_for_ndc("63323-269-22", 5), units=10),
        ),
        anesthesia=True,
    ),
    DemoItem(
        key="rocuronium-50mg-5ml",
        name="Rocuronium Bromide",
        strength="50 mg/5 mL (10 mg/mL)",
        form="multi-dose vial",
        base_unit="vial",
        schedule=None,
        supplier="cencora",
        identifiers=(  # Mylan Institutional, carton of 10
            DemoIdentifier("ndc", "67457-228-00"),
            DemoIdentifier("gtin", gtin_for_ndc("67457-228-00")),
            DemoIdentifier("gtin", gtin_for_ndc("67457-228-00", 5), units=10),
        ),
        anesthesia=True,
    ),
    DemoItem(
        key="succinylcholine-200mg-10ml",
        name="Succinylcholine Chloride (Quelicin)",
        strength="200 mg/10 mL (20 mg/mL)",
        form="multi-dose vial",
        base_unit="vial",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Hospira Quelicin, tray of 25
            DemoIdentifier("ndc", "0409-6629-12"),
            DemoIdentifier("gtin", gtin_for_ndc("0409-6629-12")),
            DemoIdentifier("gtin", gtin_for_ndc("0409-6629-12", 5), units=25),
        ),
        anesthesia=True,
    ),
    DemoItem(
        key="ondansetron-4mg-2ml",
        name="Ondansetron",
        strength="4 mg/2 mL (2 mg/mL)",
        form="vial",
        base_unit="vial",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Hospira, tray of 25
            DemoIdentifier("ndc", "0409-0009-02"),
            DemoIdentifier("gtin", gtin_for_ndc("0409-0009-02")),
        ),
        anesthesia=True,
    ),
    DemoItem(
        key="dexamethasone-4mg-1ml",
        name="Dexamethasone Sodium Phosphate",
        strength="4 mg/mL, 1 mL",
        form="vial",
        base_unit="vial",
        schedule=None,
        supplier="mckesson",
        identifiers=(  # Phlow, tray of 25
            DemoIdentifier("ndc", "81565-202-01"),
            DemoIdentifier("gtin", gtin_for_ndc("81565-202-01")),
        ),
        anesthesia=True,
    ),
    DemoItem(
        key="fentanyl-100mcg-2ml",
        name="Fentanyl Citrate",
        strength="100 mcg/2 mL (50 mcg/mL)",
        form="vial",
        base_unit="vial",
        schedule="CII",
        supplier="cardinal",
        identifiers=(  # Hospira, tray of 25
            DemoIdentifier("ndc", "0409-9094-12"),
            DemoIdentifier("gtin", gtin_for_ndc("0409-9094-12")),
            DemoIdentifier("gtin", gtin_for_ndc("0409-9094-12", 5), units=25),
        ),
        anesthesia=True,
    ),
    DemoItem(
        key="midazolam-2mg-2ml",
        name="Midazolam",
        strength="2 mg/2 mL (1 mg/mL)",
        form="vial",
        base_unit="vial",
        schedule="CIV",
        supplier="cardinal",
        identifiers=(  # Sagent, carton of 10 (no separate vial NDC listed)
            DemoIdentifier("ndc", "25021-655-02"),
            DemoIdentifier("gtin", gtin_for_ndc("25021-655-02")),
        ),
        anesthesia=True,
    ),
    DemoItem(
        key="ketamine-500mg-5ml",
        name="Ketamine HCl",
        strength="500 mg/5 mL (100 mg/mL)",
        form="multi-dose vial",
        base_unit="vial",
        schedule="CIII",
        supplier="cardinal",
        identifiers=(  # Hospira, box of 10
            DemoIdentifier("ndc", "0409-2051-15"),
            DemoIdentifier("gtin", gtin_for_ndc("0409-2051-15")),
        ),
        anesthesia=True,
    ),
    DemoItem(
        key="ephedrine-50mg-1ml",
        name="Ephedrine Sulfate",
        strength="50 mg/mL, 1 mL",
        form="vial",
        base_unit="vial",
        schedule=None,
        supplier="cencora",
        identifiers=(  # Amneal, carton of 25
            DemoIdentifier("ndc", "70121-1637-1"),
            DemoIdentifier("gtin", gtin_for_ndc("70121-1637-1")),
            DemoIdentifier("gtin", gtin_for_ndc("70121-1637-1", 5), units=25),
        ),
        anesthesia=True,
    ),
    DemoItem(
        key="phenylephrine-10mg-1ml",
        name="Phenylephrine HCl",
        strength="10 mg/mL, 1 mL",
        form="vial",
        base_unit="vial",
        schedule=None,
        supplier="cencora",
        identifiers=(  # Xellia, carton of 25
            DemoIdentifier("ndc", "70594-063-01"),
            DemoIdentifier("gtin", gtin_for_ndc("70594-063-01")),
        ),
        anesthesia=True,
    ),
    DemoItem(
        key="glycopyrrolate-0.2mg-1ml",
        name="Glycopyrrolate",
        strength="0.2 mg/mL, 1 mL",
        form="vial",
        base_unit="vial",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Fresenius Kabi, carton of 25
            DemoIdentifier("ndc", "63323-578-03"),
            DemoIdentifier("gtin", gtin_for_ndc("63323-578-03")),
        ),
        anesthesia=True,
    ),
    DemoItem(
        key="neostigmine-10mg-10ml",
        name="Neostigmine Methylsulfate",
        strength="10 mg/10 mL (1 mg/mL)",
        form="multi-dose vial",
        base_unit="vial",
        schedule=None,
        supplier="mckesson",
        identifiers=(  # Eugia, carton of 10
            DemoIdentifier("ndc", "55150-349-01"),
            DemoIdentifier("gtin", gtin_for_ndc("55150-349-01")),
        ),
        anesthesia=True,
    ),
    DemoItem(
        key="sugammadex-200mg-2ml",
        name="Sugammadex (Bridion)",
        strength="200 mg/2 mL (100 mg/mL)",
        form="vial",
        base_unit="vial",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Merck Bridion, carton of 10
            DemoIdentifier("ndc", "0006-5423-02"),
            DemoIdentifier("gtin", gtin_for_ndc("0006-5423-02")),
            DemoIdentifier("gtin", gtin_for_ndc("0006-5423-02", 5), units=10),
        ),
        anesthesia=True,
    ),
    # --- Floor stock ------------------------------------------------------------------------
    DemoItem(
        key="heparin-5000u-0.5ml",
        name="Heparin Sodium",
        strength="5,000 units/0.5 mL",
        form="prefilled syringe",
        base_unit="syringe",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Fresenius Kabi Simplist, carton of 24
            DemoIdentifier("ndc", "63323-118-01"),
            DemoIdentifier("gtin", gtin_for_ndc("63323-118-01")),
        ),
    ),
    DemoItem(
        key="enoxaparin-40mg-0.4ml",
        name="Enoxaparin Sodium",
        strength="40 mg/0.4 mL",
        form="prefilled syringe",
        base_unit="syringe",
        schedule=None,
        supplier="mckesson",
        identifiers=(  # Sagent, carton of 10 (no separate syringe NDC listed)
            DemoIdentifier("ndc", "25021-410-76"),
            DemoIdentifier("gtin", gtin_for_ndc("25021-410-76")),
        ),
    ),
    DemoItem(
        key="ceftriaxone-2g",
        name="Ceftriaxone Sodium",
        strength="2 g",
        form="vial (powder for injection)",
        base_unit="vial",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Hospira, carton of 10
            DemoIdentifier("ndc", "0409-7336-11"),
            DemoIdentifier("gtin", gtin_for_ndc("0409-7336-11")),
        ),
    ),
    DemoItem(
        key="cefazolin-1g",
        name="Cefazolin Sodium",
        strength="1 g",
        form="vial (powder for injection)",
        base_unit="vial",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Sandoz, carton of 25
            DemoIdentifier("ndc", "0781-3451-70"),
            DemoIdentifier("gtin", gtin_for_ndc("0781-3451-70")),
            DemoIdentifier("gtin", gtin_for_ndc("0781-3451-70", 5), units=25),
        ),
    ),
    DemoItem(
        key="vancomycin-1g",
        name="Vancomycin HCl",
        strength="1 g",
        form="vial (powder for injection)",
        base_unit="vial",
        schedule=None,
        supplier="cencora",
        identifiers=(  # Eurofarma, carton of 10
            DemoIdentifier("ndc", "43538-810-01"),
            DemoIdentifier("gtin", gtin_for_ndc("43538-810-01")),
        ),
    ),
    DemoItem(
        key="acetaminophen-325mg-tab",
        name="Acetaminophen",
        strength="325 mg",
        form="tablet (unit dose blister)",
        base_unit="tablet",
        schedule=None,
        supplier="mckesson",
        identifiers=(  # Major, box of 100 unit-dose tablets
            DemoIdentifier("ndc", "0904-6773-61"),
            DemoIdentifier("gtin", gtin_for_ndc("0904-6773-61")),
        ),
    ),
    DemoItem(
        key="ondansetron-4mg-odt",
        name="Ondansetron ODT",
        strength="4 mg",
        form="orally disintegrating tablet (blister)",
        base_unit="tablet",
        schedule=None,
        supplier="mckesson",
        identifiers=(  # Aurobindo, carton of 3 x 10 blisters
            DemoIdentifier("ndc", "65862-390-10"),
            DemoIdentifier("gtin", gtin_for_ndc("65862-390-10")),
        ),
    ),
    DemoItem(
        key="pantoprazole-40mg-iv",
        name="Pantoprazole Sodium",
        strength="40 mg",
        form="vial (powder for injection)",
        base_unit="vial",
        schedule=None,
        supplier="cencora",
        identifiers=(  # Hikma, carton of 10
            DemoIdentifier("ndc", "0143-9284-01"),
            DemoIdentifier("gtin", gtin_for_ndc("0143-9284-01")),
        ),
    ),
    DemoItem(
        key="insulin-regular-u100-10ml",
        name="Insulin Regular Human (Novolin R)",
        strength="100 units/mL, 10 mL",
        form="multi-dose vial",
        base_unit="vial",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Novo Nordisk
            DemoIdentifier("ndc", "0169-1833-11"),
            DemoIdentifier("gtin", gtin_for_ndc("0169-1833-11")),
        ),
    ),
    DemoItem(
        key="potassium-chloride-20meq-50ml",
        name="Potassium Chloride in Water",
        strength="20 mEq/50 mL (0.4 mEq/mL)",
        form="premixed IV bag",
        base_unit="bag",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Baxter, carton of 24
            DemoIdentifier("ndc", "0338-0703-41"),
            DemoIdentifier("gtin", gtin_for_ndc("0338-0703-41")),
        ),
    ),
    DemoItem(
        key="sodium-chloride-0.9pct-1000ml",
        name="Sodium Chloride 0.9%",
        strength="1000 mL (9 g/L)",
        form="IV bag (Viaflex)",
        base_unit="bag",
        schedule=None,
        supplier="cardinal",
        identifiers=(  # Baxter
            DemoIdentifier("ndc", "0338-0049-04"),
            DemoIdentifier("gtin", gtin_for_ndc("0338-0049-04")),
        ),
        crash_cart=True,  # Drawer 4 of the adult cart
    ),
)


STOCK: tuple[DemoStock, ...] = (
    # Crash-cart drugs
    DemoStock("epinephrine-1mg-10ml", "MAIN-A1-01", "GK4417", 21, 6),  # expiring soon (FEFO)
    DemoStock("epinephrine-1mg-10ml", "MAIN-A1-01", "HB1092", 410, 30),
    DemoStock("epinephrine-1mg-10ml", "SAT-ICU", "HB1092", 410, 8),
    DemoStock("epinephrine-1mg-10ml", "SAT-ED", "HB1092", 410, 6),
    DemoStock("epinephrine-1mg-10ml", "QUAR", "EK0935", -12, 4),  # expired, quarantined
    DemoStock("epinephrine-1mg-1ml", "MAIN-A1-02", "24J07EB", 540, 50),
    DemoStock("epinephrine-1mg-1ml", "SAT-OR", "24J07EB", 540, 10),
    DemoStock("atropine-1mg-10ml", "MAIN-A1-01", "3K021A", 300, 20),
    DemoStock("atropine-1mg-10ml", "SAT-ICU", "3K021A", 300, 4),
    DemoStock("amiodarone-150mg-3ml", "MAIN-A1-02", "6128834", 620, 40),
    DemoStock("amiodarone-150mg-3ml", "SAT-ICU", "6128834", 620, 6),
    DemoStock("adenosine-6mg-2ml", "MAIN-A1-02", "6131207", 27, 10),  # expiring soon (FEFO)
    DemoStock("adenosine-6mg-2ml", "MAIN-A1-02", "6140512", 700, 20),
    DemoStock("adenosine-6mg-2ml", "SAT-ED", "6140512", 700, 4),
    DemoStock("dextrose-50pct-50ml", "MAIN-A1-01", "GT7742", 450, 16),
    DemoStock("dextrose-50pct-50ml", "SAT-ED", "GT7742", 450, 3),
    DemoStock("naloxone-0.4mg-1ml", "MAIN-A1-02", "HA3308", 380, 30),
    DemoStock("naloxone-0.4mg-1ml", "SAT-ED", "HA3308", 380, 8),
    DemoStock("naloxone-0.4mg-1ml", "ADC-4W", "HA3308", 380, 5),
    DemoStock("sodium-bicarbonate-8.4pct-50ml", "MAIN-A1-01", "FP5521", 18, 4),  # expiring soon
    DemoStock("sodium-bicarbonate-8.4pct-50ml", "MAIN-A1-01", "GR0210", 520, 20),
    DemoStock("sodium-bicarbonate-8.4pct-50ml", "SAT-ICU", "GR0210", 520, 3),
    DemoStock("calcium-chloride-1g-10ml", "MAIN-A1-01", "23H114", 330, 12),
    DemoStock("calcium-chloride-1g-10ml", "SAT-ICU", "23H114", 330, 4),
    DemoStock("lidocaine-2pct-100mg-5ml", "MAIN-A1-01", "L24B117", 290, 10),
    DemoStock("magnesium-sulfate-1g-2ml", "MAIN-A1-02", "6119430", 800, 50),
    DemoStock("magnesium-sulfate-1g-2ml", "SAT-ICU", "6119430", 800, 10),
    # Shelf A5: what crash carts and anesthesia trays are restocked from (the demo kits)
    DemoStock("epinephrine-1mg-10ml", "MAIN-A5", "HB1092", 410, 24),
    DemoStock("epinephrine-1mg-10ml-ims", "MAIN-A5", "IMS5318", 470, 12),
    DemoStock("epinephrine-1mg-1ml", "MAIN-A5", "24J07EB", 540, 14),
    DemoStock("amiodarone-150mg-3ml", "MAIN-A5", "6128834", 620, 12),
    DemoStock("amiodarone-150mg-3ml-hikma", "MAIN-A5", "AH24117", 540, 8),
    DemoStock("atropine-1mg-10ml", "MAIN-A5", "3K021A", 300, 24),
    DemoStock("adenosine-6mg-2ml", "MAIN-A5", "6140512", 700, 20),
    DemoStock("lidocaine-2pct-100mg-5ml", "MAIN-A5", "L24B117", 290, 12),
    DemoStock("sodium-bicarbonate-8.4pct-50ml", "MAIN-A5", "GR0210", 520, 10),
    DemoStock("sodium-bicarbonate-8.4pct-50ml", "MAIN-A5", "FP5521", 18, 2),  # in cart CC-ED-1
    DemoStock("calcium-chloride-1g-10ml", "MAIN-A5", "23H114", 330, 12),
    DemoStock("dextrose-50pct-50ml", "MAIN-A5", "GT7742", 450, 10),
    DemoStock("naloxone-0.4mg-1ml", "MAIN-A5", "HA3308", 380, 14),
    DemoStock("magnesium-sulfate-1g-2ml", "MAIN-A5", "6119430", 800, 10),
    DemoStock("sodium-chloride-0.9pct-1000ml", "MAIN-A5", "Y351841", 610, 10),
    DemoStock("dextrose-25pct-10ml", "MAIN-A5", "24117DK", 365, 4),  # short: on backorder
    DemoStock("sodium-bicarbonate-4.2pct-10ml", "MAIN-A5", "FA7301", 400, 6),
    DemoStock("propofol-200mg-20ml", "MAIN-A5", "6134470", 600, 8),
    DemoStock("rocuronium-50mg-5ml", "MAIN-A5", "7612045", 365, 8),
    DemoStock("succinylcholine-200mg-10ml", "MAIN-A5", "GF0776", 420, 6),
    DemoStock("ondansetron-4mg-2ml", "MAIN-A5", "JK2210", 680, 6),
    DemoStock("dexamethasone-4mg-1ml", "MAIN-A5", "P24017", 540, 6),
    DemoStock("phenylephrine-10mg-1ml", "MAIN-A5", "X24113", 530, 6),
    DemoStock("ephedrine-50mg-1ml", "MAIN-A5", "EPH2407", 455, 6),
    DemoStock("glycopyrrolate-0.2mg-1ml", "MAIN-A5", "6140022", 880, 8),
    DemoStock("neostigmine-10mg-10ml", "MAIN-A5", "NS2405B", 400, 6),
    DemoStock("sugammadex-200mg-2ml", "MAIN-A5", "X015532", 760, 4),
    # Anesthesia drugs
    DemoStock("propofol-200mg-20ml", "MAIN-A2-01", "6134470", 600, 60),
    DemoStock("propofol-200mg-20ml", "SAT-OR", "6129983", 24, 8),  # expiring soon (FEFO)
    DemoStock("propofol-200mg-20ml", "SAT-OR", "6134470", 600, 12),
    DemoStock("rocuronium-50mg-5ml", "MAIN-A4-01", "7612045", 365, 40),
    DemoStock("rocuronium-50mg-5ml", "SAT-OR", "7612045", 365, 10),
    DemoStock("succinylcholine-200mg-10ml", "MAIN-A4-01", "GF0776", 420, 25),
    DemoStock("succinylcholine-200mg-10ml", "SAT-OR", "GF0776", 420, 6),
    DemoStock("succinylcholine-200mg-10ml", "SAT-ED", "GF0776", 420, 4),
    DemoStock("ondansetron-4mg-2ml", "MAIN-A2-01", "JK2210", 680, 75),
    DemoStock("ondansetron-4mg-2ml", "SAT-OR", "JK2210", 680, 25),
    DemoStock("ondansetron-4mg-2ml", "ADC-4W", "JK2210", 680, 12),
    DemoStock("dexamethasone-4mg-1ml", "MAIN-A2-01", "P24017", 540, 50),
    DemoStock("dexamethasone-4mg-1ml", "SAT-OR", "P24017", 540, 10),
    DemoStock("fentanyl-100mcg-2ml", "MAIN-A2-02", "HD1187", 720, 50),
    DemoStock("fentanyl-100mcg-2ml", "SAT-OR", "HD1187", 720, 15),
    DemoStock("fentanyl-100mcg-2ml", "ADC-4W", "HD1187", 720, 5),
    DemoStock("midazolam-2mg-2ml", "MAIN-A2-02", "MD3319", 500, 40),
    DemoStock("midazolam-2mg-2ml", "SAT-OR", "MD3319", 500, 10),
    DemoStock("midazolam-2mg-2ml", "SAT-ICU", "MD3319", 500, 6),
    DemoStock("ketamine-500mg-5ml", "MAIN-A2-02", "GC5561", 610, 20),
    DemoStock("ketamine-500mg-5ml", "SAT-OR", "GC5561", 610, 3),
    DemoStock("ketamine-500mg-5ml", "SAT-ED", "GC5561", 610, 4),
    DemoStock("ephedrine-50mg-1ml", "MAIN-A2-01", "EPH2407", 455, 50),
    DemoStock("ephedrine-50mg-1ml", "SAT-OR", "EPH2407", 455, 8),
    DemoStock("phenylephrine-10mg-1ml", "MAIN-A2-01", "X24113", 530, 50),
    DemoStock("phenylephrine-10mg-1ml", "SAT-OR", "X24113", 530, 20),
    DemoStock("glycopyrrolate-0.2mg-1ml", "MAIN-A2-01", "6140022", 880, 50),
    DemoStock("glycopyrrolate-0.2mg-1ml", "SAT-OR", "6140022", 880, 15),
    DemoStock("neostigmine-10mg-10ml", "MAIN-A2-01", "NS2405B", 400, 20),
    DemoStock("neostigmine-10mg-10ml", "SAT-OR", "NS2405B", 400, 5),
    DemoStock("sugammadex-200mg-2ml", "MAIN-A2-01", "X015532", 760, 30),
    DemoStock("sugammadex-200mg-2ml", "SAT-OR", "W998120", 75, 4),  # older lot first (FEFO)
    DemoStock("sugammadex-200mg-2ml", "SAT-OR", "X015532", 760, 8),
    # Floor stock
    DemoStock("heparin-5000u-0.5ml", "MAIN-A3-02", "6127790", 600, 96),
    DemoStock("heparin-5000u-0.5ml", "ADC-4W", "6127790", 600, 20),
    DemoStock("enoxaparin-40mg-0.4ml", "MAIN-A3-02", "4C0019", 470, 60),
    DemoStock("enoxaparin-40mg-0.4ml", "ADC-4W", "4C0019", 470, 8),
    DemoStock("ceftriaxone-2g", "MAIN-A3-01", "FH8821", 720, 40),
    DemoStock("ceftriaxone-2g", "SAT-ED", "FH8821", 720, 10),
    DemoStock("cefazolin-1g", "MAIN-A3-01", "PD4381", 650, 100),
    DemoStock("cefazolin-1g", "SAT-OR", "PB9920", 29, 10),  # expiring soon (FEFO)
    DemoStock("cefazolin-1g", "SAT-OR", "PD4381", 650, 30),
    DemoStock("vancomycin-1g", "MAIN-A3-01", "VE240311", 850, 40),
    DemoStock("vancomycin-1g", "SAT-ICU", "VE240311", 850, 10),
    DemoStock("acetaminophen-325mg-tab", "MAIN-A3-02", "24F118", 900, 500),
    DemoStock("acetaminophen-325mg-tab", "ADC-4W", "23K442", 60, 20),  # older lot first (FEFO)
    DemoStock("acetaminophen-325mg-tab", "ADC-4W", "24F118", 900, 40),
    DemoStock("ondansetron-4mg-odt", "MAIN-A3-02", "7A24B019", 700, 90),
    DemoStock("ondansetron-4mg-odt", "ADC-4W", "7A24B019", 700, 12),
    DemoStock("pantoprazole-40mg-iv", "MAIN-A3-01", "R52417", 540, 50),
    DemoStock("pantoprazole-40mg-iv", "SAT-ICU", "R52417", 540, 10),
    DemoStock("pantoprazole-40mg-iv", "ADC-4W", "R52417", 540, 4),
    DemoStock("insulin-regular-u100-10ml", "MAIN-A4-02", "PT5K442", 420, 20),
    DemoStock("insulin-regular-u100-10ml", "SAT-ICU", "PT5K442", 420, 4),
    DemoStock("insulin-regular-u100-10ml", "ADC-4W", "PT5K442", 420, 3),
    DemoStock("potassium-chloride-20meq-50ml", "MAIN-A3", "P427781", 560, 48),
    DemoStock("potassium-chloride-20meq-50ml", "SAT-ICU", "P427781", 560, 12),
    DemoStock("sodium-chloride-0.9pct-1000ml", "MAIN-A3", "Y351841", 610, 120),
    DemoStock("sodium-chloride-0.9pct-1000ml", "SAT-ED", "Y351841", 610, 24),
    DemoStock("sodium-chloride-0.9pct-1000ml", "SAT-OR", "Y351841", 610, 36),
)


# (item key, location code, par level, reorder point), quantities in base units.
PAR_LEVELS: tuple[tuple[str, str, int, int], ...] = (
    # Main storeroom bins
    ("epinephrine-1mg-10ml", "MAIN-A1-01", 60, 30),
    ("sodium-bicarbonate-8.4pct-50ml", "MAIN-A1-01", 30, 12),
    ("lidocaine-2pct-100mg-5ml", "MAIN-A1-01", 20, 12),  # 10 on hand: below reorder point
    # ICU satellite
    ("epinephrine-1mg-10ml", "SAT-ICU", 10, 4),
    ("atropine-1mg-10ml", "SAT-ICU", 10, 5),  # 4 on hand: below reorder point
    ("amiodarone-150mg-3ml", "SAT-ICU", 8, 4),
    ("sodium-bicarbonate-8.4pct-50ml", "SAT-ICU", 8, 4),  # 3 on hand: below reorder point
    ("magnesium-sulfate-1g-2ml", "SAT-ICU", 12, 6),
    ("vancomycin-1g", "SAT-ICU", 12, 6),
    ("insulin-regular-u100-10ml", "SAT-ICU", 6, 3),
    ("potassium-chloride-20meq-50ml", "SAT-ICU", 20, 8),
    # ED satellite
    ("dextrose-50pct-50ml", "SAT-ED", 6, 4),  # 3 on hand: below reorder point
    ("naloxone-0.4mg-1ml", "SAT-ED", 10, 5),
    ("adenosine-6mg-2ml", "SAT-ED", 6, 3),
    ("ketamine-500mg-5ml", "SAT-ED", 6, 3),
    ("ceftriaxone-2g", "SAT-ED", 12, 6),
    ("sodium-chloride-0.9pct-1000ml", "SAT-ED", 30, 12),
    # OR satellite
    ("propofol-200mg-20ml", "SAT-OR", 30, 12),
    ("rocuronium-50mg-5ml", "SAT-OR", 15, 6),
    ("succinylcholine-200mg-10ml", "SAT-OR", 8, 4),
    ("fentanyl-100mcg-2ml", "SAT-OR", 20, 8),
    ("ephedrine-50mg-1ml", "SAT-OR", 15, 10),  # 8 on hand: below reorder point
    ("phenylephrine-10mg-1ml", "SAT-OR", 25, 10),
    ("sugammadex-200mg-2ml", "SAT-OR", 10, 4),
    ("cefazolin-1g", "SAT-OR", 40, 15),
    # 4 West automated dispensing cabinet
    ("naloxone-0.4mg-1ml", "ADC-4W", 6, 3),
    ("acetaminophen-325mg-tab", "ADC-4W", 60, 25),
    ("ondansetron-4mg-odt", "ADC-4W", 20, 8),
    ("enoxaparin-40mg-0.4ml", "ADC-4W", 20, 10),  # 8 on hand: below reorder point
    ("heparin-5000u-0.5ml", "ADC-4W", 30, 10),
    ("pantoprazole-40mg-iv", "ADC-4W", 8, 5),  # 4 on hand: below reorder point
    ("insulin-regular-u100-10ml", "ADC-4W", 4, 2),
)


# --- reorders: supplier terms, where par levels are refilled from, usage history -------------


@dataclass(frozen=True, slots=True)
class DemoSupplierItem:
    item: str
    supplier: str
    code: str  # the supplier's catalogue number
    pack_size: int  # base units per orderable pack
    min_order_quantity: int  # base units
    lead_time_days: int
    unit_cost_cents: int  # per base unit


LEAD_TIME_DAYS = {"cardinal": 2, "mckesson": 3, "cencora": 5}
UNIT_COST_CENTS = {
    "sugammadex-200mg-2ml": 9_850,
    "rocuronium-50mg-5ml": 1_240,
    "propofol-200mg-20ml": 310,
    "epinephrine-1mg-10ml": 1_875,
    "enoxaparin-40mg-0.4ml": 620,
    "insulin-regular-u100-10ml": 4_400,
    "acetaminophen-325mg-tab": 4,
    "pantoprazole-40mg-iv": 520,
}


def _supplier_items() -> tuple[DemoSupplierItem, ...]:
    """Each item from its supplier, ordered in cartons (its largest identifier's units)."""
    terms = []
    for n, item in enumerate(ITEMS, start=1):
        pack = max(i.units for i in item.identifiers)
        terms.append(
            DemoSupplierItem(
                item=item.key,
                supplier=item.supplier,
                code=f"{item.supplier[:3].upper()}-{40_000 + n * 17}",
                pack_size=pack,
                min_order_quantity=pack,
                lead_time_days=LEAD_TIME_DAYS[item.supplier],
                unit_cost_cents=UNIT_COST_CENTS.get(item.key, 350),
            )
        )
    return tuple(terms)


SUPPLIER_ITEMS: tuple[DemoSupplierItem, ...] = _supplier_items()

# Satellites and the ADC are refilled from the main storeroom (pick lists, transfers); the
# storeroom's bins are bought from each item's preferred supplier.
PAR_SOURCES: dict[str, str] = {
    "SAT-ICU": "MAIN-STORE",
    "SAT-ED": "MAIN-STORE",
    "SAT-OR": "MAIN-STORE",
    "ADC-4W": "MAIN-STORE",
}


@dataclass(frozen=True, slots=True)
class DemoUsage:
    """Units of a lot received and given to patients `days_ago` days back: the ledger's
    usage history (stock on hand is unchanged)."""

    item: str
    location: str
    lot: str
    expiry_offset_days: int
    quantity: int
    days_ago: int


def _usage() -> tuple[DemoUsage, ...]:
    lots = {
        (s.item, s.location): s for s in STOCK if s.expiry_offset_days > 60
    }  # a lot each place holds, well in date
    rows = []
    for n, (item, location, _par, reorder_point) in enumerate(PAR_LEVELS):
        stock = lots.get((item, location))
        if stock is not None:
            for k, days_ago in enumerate(((n * 7) % 25 + 1, (n * 11) % 25 + 2)):
                quantity = max(1, reorder_point // (2 + k))
                rows.append(
                    DemoUsage(
                        item, location, stock.lot, stock.expiry_offset_days, quantity, days_ago
                    )
                )
    return tuple(rows)


USAGE: tuple[DemoUsage, ...] = _usage()


# --- kits: crash carts and anesthesia trays ------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoKitSlot:
    slot: str  # drawer and contents, as printed on the cart's checklist
    items: tuple[str, ...]  # item keys, interchangeable (first one preferred)
    quantity: int  # base units
    min_days_to_expiry: int


@dataclass(frozen=True, slots=True)
class DemoKitTemplate:
    code: str
    name: str
    kind: str  # crash_cart | anesthesia_tray | kit
    check_interval_days: int
    slots: tuple[DemoKitSlot, ...]


@dataclass(frozen=True, slots=True)
class DemoKit:
    """A kit and the state the loader brings it to through the real use cases: `unsealed`
    (created, never stocked), `restocking` (session open, the first `fill_slots` slots
    filled), `ready` (filled and sealed with `seal`, then checked), `open` (sealed, then
    opened for `reference` and `used` issued from it) or `quarantined` (sealed, then
    checked with `check_seal`, which is not the recorded seal)."""

    code: str
    name: str
    template: str
    home: str
    status: str
    seal: str | None = None
    short: tuple[tuple[str, int], ...] = ()  # (slot, units left out): sealed by override
    override_reason: str | None = None
    lots: tuple[tuple[str, str], ...] = ()  # (item key, lot number) instead of the freshest
    fill_slots: int | None = None
    reference: str | None = None
    open_reason: str | None = None
    used: tuple[tuple[str, int], ...] = ()  # (item key, units) issued from the open kit
    check_seal: str | None = None


KIT_SOURCE = "MAIN-A5"
"""The pharmacy shelf every demo kit is restocked from (its stock is received first)."""

ADULT_CRASH_CART = DemoKitTemplate(
    code="CC-ADULT",
    name="Adult crash cart (ACLS)",
    kind="crash_cart",
    check_interval_days=30,
    slots=(
        DemoKitSlot(
            "Drawer 1: Epinephrine 1 mg/10 mL syringe",
            ("epinephrine-1mg-10ml", "epinephrine-1mg-10ml-ims"),
            6,
            30,
        ),
        DemoKitSlot(
            "Drawer 1: Amiodarone 150 mg/3 mL",
            ("amiodarone-150mg-3ml", "amiodarone-150mg-3ml-hikma"),
            3,
            60,
        ),
        DemoKitSlot("Drawer 1: Atropine 1 mg/10 mL syringe", ("atropine-1mg-10ml",), 3, 30),
        DemoKitSlot("Drawer 1: Adenosine 6 mg/2 mL", ("adenosine-6mg-2ml",), 3, 30),
        DemoKitSlot(
            "Drawer 1: Lidocaine 100 mg/5 mL syringe", ("lidocaine-2pct-100mg-5ml",), 2, 30
        ),
        DemoKitSlot(
            "Drawer 2: Sodium bicarbonate 8.4% 50 mL",
            ("sodium-bicarbonate-8.4pct-50ml",),
            2,
            14,
        ),
        DemoKitSlot("Drawer 2: Calcium chloride 10% 10 mL", ("calcium-chloride-1g-10ml",), 2, 30),
        DemoKitSlot("Drawer 2: Dextrose 50% 50 mL", ("dextrose-50pct-50ml",), 2, 14),
        DemoKitSlot("Drawer 2: Naloxone 0.4 mg/mL", ("naloxone-0.4mg-1ml",), 2, 30),
        DemoKitSlot("Drawer 2: Magnesium sulfate 1 g/2 mL", ("magnesium-sulfate-1g-2ml",), 2, 60),
        DemoKitSlot(
            "Drawer 3: Epinephrine 1 mg/mL vial (infusion)", ("epinephrine-1mg-1ml",), 2, 30
        ),
        DemoKitSlot(
            "Drawer 4: Sodium chloride 0.9% 1000 mL", ("sodium-chloride-0.9pct-1000ml",), 2, 90
        ),
    ),
)

PEDIATRIC_CRASH_CART = DemoKitTemplate(
    code="CC-PEDS",
    name="Pediatric crash cart (PALS)",
    kind="crash_cart",
    check_interval_days=30,
    slots=(
        DemoKitSlot(
            "Drawer 1: Epinephrine 0.1 mg/mL syringe",
            ("epinephrine-1mg-10ml", "epinephrine-1mg-10ml-ims"),
            2,
            30,
        ),
        DemoKitSlot("Drawer 1: Epinephrine 1 mg/mL vial", ("epinephrine-1mg-1ml",), 2, 30),
        DemoKitSlot("Drawer 1: Atropine 0.1 mg/mL syringe", ("atropine-1mg-10ml",), 2, 30),
        DemoKitSlot("Drawer 1: Adenosine 6 mg/2 mL", ("adenosine-6mg-2ml",), 2, 30),
        DemoKitSlot(
            "Drawer 1: Amiodarone 150 mg/3 mL",
            ("amiodarone-150mg-3ml", "amiodarone-150mg-3ml-hikma"),
            1,
            60,
        ),
        DemoKitSlot("Drawer 2: Dextrose 25% 10 mL (infant)", ("dextrose-25pct-10ml",), 3, 30),
        DemoKitSlot(
            "Drawer 2: Sodium bicarbonate 4.2% 10 mL (infant)",
            ("sodium-bicarbonate-4.2pct-10ml",),
            2,
            30,
        ),
        DemoKitSlot("Drawer 2: Calcium chloride 10% 10 mL", ("calcium-chloride-1g-10ml",), 1, 30),
        DemoKitSlot("Drawer 2: Naloxone 0.4 mg/mL", ("naloxone-0.4mg-1ml",), 2, 30),
        DemoKitSlot(
            "Drawer 2: Lidocaine 100 mg/5 mL syringe", ("lidocaine-2pct-100mg-5ml",), 1, 30
        ),
    ),
)

ANESTHESIA_TRAY = DemoKitTemplate(
    code="TRAY-GA",
    name="General anesthesia tray",
    kind="anesthesia_tray",
    check_interval_days=7,
    slots=(
        DemoKitSlot("Induction: Propofol 200 mg/20 mL", ("propofol-200mg-20ml",), 2, 30),
        DemoKitSlot("Relaxant: Rocuronium 50 mg/5 mL", ("rocuronium-50mg-5ml",), 2, 30),
        DemoKitSlot(
            "Relaxant: Succinylcholine 200 mg/10 mL", ("succinylcholine-200mg-10ml",), 1, 30
        ),
        DemoKitSlot("Pressor: Phenylephrine 10 mg/mL", ("phenylephrine-10mg-1ml",), 1, 30),
        DemoKitSlot("Pressor: Ephedrine 50 mg/mL", ("ephedrine-50mg-1ml",), 1, 30),
        DemoKitSlot("Vagolytic: Glycopyrrolate 0.2 mg/mL", ("glycopyrrolate-0.2mg-1ml",), 2, 30),
        DemoKitSlot("Vagolytic: Atropine 1 mg/10 mL syringe", ("atropine-1mg-10ml",), 1, 30),
        DemoKitSlot("Antiemetic: Ondansetron 4 mg/2 mL", ("ondansetron-4mg-2ml",), 1, 30),
        DemoKitSlot("Antiemetic: Dexamethasone 4 mg/mL", ("dexamethasone-4mg-1ml",), 1, 30),
        DemoKitSlot("Reversal: Neostigmine 10 mg/10 mL", ("neostigmine-10mg-10ml",), 1, 30),
        DemoKitSlot("Reversal: Sugammadex 200 mg/2 mL", ("sugammadex-200mg-2ml",), 1, 60),
    ),
)

KIT_TEMPLATES: tuple[DemoKitTemplate, ...] = (
    ADULT_CRASH_CART,
    PEDIATRIC_CRASH_CART,
    ANESTHESIA_TRAY,
)

KITS: tuple[DemoKit, ...] = (
    DemoKit("CC-ICU-1", "ICU crash cart 1", "CC-ADULT", "SAT-ICU", "ready", seal="0104211"),
    DemoKit(
        "CC-ED-1",
        "ED crash cart 1 (resus bay)",
        "CC-ADULT",
        "SAT-ED",
        "ready",
        seal="0104212",
        lots=(("sodium-bicarbonate-8.4pct-50ml", "FP5521"),),  # expires in 18 days
    ),
    DemoKit(
        "CC-ED-2",
        "ED crash cart 2 (bay 7)",
        "CC-ADULT",
        "SAT-ED",
        "open",
        seal="0104213",
        reference="CODE-BLUE-26-0142",
        open_reason="Code blue, ED bay 7",
        used=(
            ("epinephrine-1mg-10ml", 3),
            ("amiodarone-150mg-3ml", 2),
            ("sodium-bicarbonate-8.4pct-50ml", 1),
        ),
    ),
    DemoKit(
        "CC-ICU-2",
        "ICU crash cart 2",
        "CC-ADULT",
        "SAT-ICU",
        "quarantined",
        seal="0104214",
        check_seal="0104290",
    ),
    DemoKit("CC-ICU-3", "ICU crash cart 3 (new)", "CC-ADULT", "SAT-ICU", "unsealed"),
    DemoKit("PC-ED-1", "ED pediatric cart", "CC-PEDS", "SAT-ED", "ready", seal="0104220"),
    DemoKit(
        "PC-ICU-1",
        "PICU pediatric cart",
        "CC-PEDS",
        "SAT-ICU",
        "ready",
        seal="0104221",
        short=(("Drawer 2: Dextrose 25% 10 mL (infant)", 2),),
        override_reason=(
            "Dextrose 25% on manufacturer backorder: 1 of 3 in the cart, D50 diluted 1:1 "
            "per pharmacy policy until resupply"
        ),
    ),
    DemoKit("AT-OR1", "OR 1 anesthesia tray", "TRAY-GA", "SAT-OR", "ready", seal="T-20117"),
    DemoKit(
        "AT-OR2",
        "OR 2 anesthesia tray",
        "TRAY-GA",
        "SAT-OR",
        "open",
        seal="T-20118",
        reference="OR2-CASE-0417",
        open_reason="Case: laparoscopic cholecystectomy",
        used=(
            ("propofol-200mg-20ml", 1),
            ("rocuronium-50mg-5ml", 1),
            ("ondansetron-4mg-2ml", 1),
            ("phenylephrine-10mg-1ml", 1),
        ),
    ),
    DemoKit("AT-OR3", "OR 3 anesthesia tray", "TRAY-GA", "SAT-OR", "restocking", fill_slots=5),
    DemoKit("AT-OR4", "OR 4 anesthesia tray (new)", "TRAY-GA", "SAT-OR", "unsealed"),
)
