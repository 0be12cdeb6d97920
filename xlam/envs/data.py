"""Vocabularies the environments draw their seeded initial states from."""

FIRST_NAMES = ["Ana", "Ben", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi",
               "Liam", "Maya", "Noah", "Olga", "Priya", "Quentin", "Rosa", "Sami", "Tara", "Umar", "Vera"]
LAST_NAMES = ["Silva", "Okafor", "Nguyen", "Müller", "Kowalski", "Haddad", "Tanaka", "Garcia", "Novak", "Berg",
              "Costa", "Ibrahim", "Larsen", "Moreau", "Patel", "Rossi"]
MEMOS = ["salary", "rent", "groceries", "refund", "gift", "utilities", "insurance", "gym", "books", "travel"]
PRODUCTS = [
    ("wireless mouse", 24.99), ("mechanical keyboard", 89.0), ("usb-c hub", 39.5), ("laptop stand", 45.0),
    ("noise cancelling headphones", 199.0), ("webcam", 59.9), ("desk lamp", 32.0), ("monitor arm", 74.0),
    ("portable ssd", 119.0), ("phone charger", 19.99), ("hdmi cable", 9.99), ("ergonomic chair", 329.0),
    ("coffee grinder", 64.0), ("water bottle", 14.5), ("backpack", 79.0), ("fitness tracker", 99.0),
    ("bluetooth speaker", 49.0), ("e-reader", 139.0), ("yoga mat", 29.0), ("electric kettle", 38.0),
]
ZIPS = ["10001", "94107", "60614", "73301", "02139", "98101", "30303", "80202", "19103", "33101"]
DOMAINS = ["example.com", "mail.test", "inbox.dev"]
MEETINGS = ["standup", "design review", "budget sync", "1:1", "retro", "planning", "customer call", "demo",
            "hiring panel", "offsite prep", "security review", "quarterly review"]
ROOMS = {"Atlas": 4, "Borealis": 8, "Cedar": 12, "Delta": 20, "Ember": 6}
FOLDERS = ["docs", "reports", "notes", "projects", "archive", "photos", "drafts"]
FILE_STEMS = ["budget", "todo", "meeting", "ideas", "summary", "plan", "draft", "invoice", "readme", "notes",
              "roadmap", "log", "minutes", "report", "checklist"]
SENTENCES = [
    "Ship the release on Friday.", "Call the supplier about the delay.", "The budget is approved.",
    "Review the onboarding guide.", "Book the venue for March.", "Renew the domain before it expires.",
    "Draft the quarterly summary.", "Back up the photos to the drive.", "Send the invoice to accounting.",
    "Update the roadmap with the new dates.", "Water the plants on Monday.", "Fix the login bug first.",
]
