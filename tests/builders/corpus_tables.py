"""The vocabulary of the synthetic corpus: entities, dates, quotes and sentence templates.

Each Arabic form maps to exactly one English rendering, so the model can learn the
corpus exactly; spelling variants (الأميركي/الأمريكي, سورية/سوريا) share one rendering.
See ``corpus.py`` for the deliberately different renderings and the unseen entities.

Arabic template syntax: ``{p1}`` a slot (type ``p``, instance 1); ``{c1:في}`` the slot
with a preposition or proclitic (و ب ل glued on; في either "في X" or "بX");
``[قال|قالت:p1]`` the masculine or feminine form, agreeing with slot ``p1``. English
templates name the same slots. Slot types: p person, o organisation, g armed group,
m media, c city, n country, pl city or country, a nationality (feminine plural), t topic,
d past date, df future date, num 11-99, big 100-9999, q quote, cl clause, dem demand,
lat a Latin-script name.
"""

from __future__ import annotations

_US = ("الأميركي", "الأمريكي")

PEOPLE = (
    ("فلاديمير", "بوتين", "Vladimir", "Putin", (("الرئيس الروسي", "Russian President"),),
     ("بوتين", "Putin"), "m"),
    ("جون", "كيري", "John", "Kerry",
     tuple((f"وزير الخارجية {us}", "US Secretary of State") for us in _US),
     ("كيري", "Kerry"), "m"),
    ("سيرغي", "لافروف", "Sergei", "Lavrov", (("وزير الخارجية الروسي", "Russian Foreign Minister"),),
     ("لافروف", "Lavrov"), "m"),
    ("ديمتري", "بيسكوف", "Dmitri", "Peskov",
     (("الناطق باسم الكرملين", "Kremlin spokesman"), ("الناطق الرئاسي", "presidential spokesman")),
     ("بيسكوف", "Peskov"), "m"),
    ("بشار", "الأسد", "Bashar", "al-Assad", (("الرئيس السوري", "Syrian President"),),
     ("الأسد", "Assad"), "m"),
    ("باراك", "أوباما", "Barack", "Obama",
     tuple((f"الرئيس {us}", "US President") for us in _US), ("أوباما", "Obama"), "m"),
    ("سيرغي", "شويغو", "Sergei", "Shoigu", (("وزير الدفاع الروسي", "Russian Defence Minister"),),
     ("شويغو", "Shoigu"), "m"),
    ("ماريا", "زاخاروفا", "Maria", "Zakharova",
     (("الناطقة باسم الخارجية الروسية", "Russian Foreign Ministry spokeswoman"),),
     ("زاخاروفا", "Zakharova"), "f"),
    ("وليد", "المعلم", "Walid", "al-Muallem",
     (("وزير الخارجية السوري", "Syrian Foreign Minister"),), ("المعلم", "Muallem"), "m"),
    ("ناصر", "جودة", "Nasser", "Judeh", (("وزير الخارجية الأردني", "Jordanian Foreign Minister"),),
     ("جودة", "Judeh"), "m"),
    ("آشتون", "كارتر", "Ashton", "Carter",
     tuple((f"وزير الدفاع {us}", "US Defense Secretary") for us in _US), ("كارتر", "Carter"), "m"),
    ("أنغيلا", "ميركل", "Angela", "Merkel", (("المستشارة الألمانية", "German Chancellor"),),
     ("ميركل", "Merkel"), "f"),
)  # fmt: skip

# (Arabic forms, English, grammatical gender)
ORGANISATIONS = (
    (("الكرملين",), "the Kremlin", "m"),
    (("البيت الأبيض",), "the White House", "m"),
    (("البنتاغون",), "the Pentagon", "m"),
    (("وزارة الدفاع الروسية",), "the Russian Defence Ministry", "f"),
    (("وزارة الخارجية الروسية",), "the Russian Foreign Ministry", "f"),
    (("وزارة الخارجية الأميركية", "وزارة الخارجية الأمريكية"), "the US State Department", "f"),
    (("الأمم المتحدة",), "the United Nations", "f"),
    (("مجلس الأمن الدولي", "مجلس الأمن"), "the UN Security Council", "m"),
    (("حلف شمال الأطلسي", "حلف الناتو"), "NATO", "m"),
    (("المعارضة السورية",), "the Syrian opposition", "f"),
    (("الجيش السوري",), "the Syrian army", "m"),
)
GROUPS = (
    (("داعش", "«داعش»", "تنظيم داعش", "تنظيم «داعش»"), "ISIS", "m"),
    (("جبهة النصرة", "«جبهة النصرة»"), "al-Nusra Front", "f"),
    (("النصرة", "«النصرة»"), "al-Nusra", "f"),
    (("القاعدة", "«القاعدة»", "تنظيم القاعدة"), "al-Qaida", "m"),
    (("الجيش السوري الحر", "الجيش الحر"), "the Free Syrian Army", "m"),
    (("المعارضة المعتدلة",), "the moderate opposition", "f"),
)
MEDIA = (
    (("رويترز", "«رويترز»", "وكالة رويترز"), "Reuters", "f"),
    (("صحيفة «واشنطن بوست»", "«واشنطن بوست»", "صحيفة واشنطن بوست"), "The Washington Post", "f"),
    (("صحيفة «نيويورك تايمز»", "«نيويورك تايمز»"), "The New York Times", "f"),
    (("وكالة تاس", "«تاس»"), "TASS", "f"),
    (("وكالة الصحافة الفرنسية",), "AFP", "f"),
    (("وكالة «إنترفاكس»", "إنترفاكس"), "Interfax", "f"),
)
CITIES = (
    (("موسكو",), "Moscow", "f"),
    (("واشنطن",), "Washington", "f"),
    (("دمشق",), "Damascus", "f"),
    (("العاصمة السورية",), "the Syrian capital", "f"),
    (("حلب",), "Aleppo", "f"),
    (("تدمر",), "Palmyra", "f"),
    (("عمّان", "عمان"), "Amman", "f"),
    (("العاصمة الأردنية عمان",), "the Jordanian capital Amman", "f"),
    (("جنيف",), "Geneva", "f"),
    (("إدلب",), "Idlib", "f"),
    (("حمص",), "Homs", "f"),
    (("حماة",), "Hama", "f"),
    (("اللاذقية",), "Latakia", "f"),
    (("دير الزور",), "Deir ez-Zor", "f"),
    (("بيروت",), "Beirut", "f"),
    (("القاهرة",), "Cairo", "f"),
)
COUNTRIES = (
    (("سورية", "سوريا"), "Syria", "f"),
    (("روسيا",), "Russia", "f"),
    (("الولايات المتحدة",), "the United States", "f"),
    (("الأردن",), "Jordan", "m"),
    (("تركيا",), "Turkey", "f"),
    (("أوكرانيا",), "Ukraine", "f"),
    (("لبنان",), "Lebanon", "m"),
    (("مصر",), "Egypt", "f"),
    (("العراق",), "Iraq", "m"),
    (("فرنسا",), "France", "f"),
    (("أوروبا",), "Europe", "f"),
)
NATIONALITIES = (
    (("روسية",), "Russian", "f"),
    (("أميركية", "أمريكية"), "US", "f"),
    (("سورية",), "Syrian", "f"),
    (("أردنية",), "Jordanian", "f"),
    (("تركية",), "Turkish", "f"),
    (("فرنسية",), "French", "f"),
    (("بريطانية",), "British", "f"),
)
TOPICS = (
    (("هذا التقرير",), "this report", "m"),
    (("التقرير",), "the report", "m"),
    (("طبيعة المقترحات الأميركية", "طبيعة المقترحات الأمريكية"),
     "the nature of the US proposals", "f"),
    (("التسريبات الصحافية",), "the press leaks", "f"),
    (("مصير المفاوضات",), "the fate of the negotiations", "m"),
    (("الاتفاق الجديد",), "the new agreement", "m"),
    (("الضربات الجوية",), "the air strikes", "f"),
    (("الوضع الإنساني",), "the humanitarian situation", "m"),
    (("التعاون العسكري",), "military cooperation", "m"),
    (("تبادل المعلومات الاستخباراتية",), "the exchange of intelligence", "m"),
    (("الانتقال السياسي",), "the political transition", "m"),
    (("وقف إطلاق النار",), "the ceasefire", "m"),
    (("الملفين السوري والأوكراني",), "the Syrian and Ukrainian issues", "m"),
    (("الملف السوري",), "the Syrian issue", "m"),
)  # fmt: skip

PAST_DATES = (
    ("أمس", "yesterday"), ("مساء أمس", "yesterday evening"), ("الأسبوع الماضي", "last week"),
    ("اليوم", "today"), ("صباح اليوم", "this morning"), ("قبل أيام", "a few days ago"),
)  # fmt: skip
FUTURE_DATES = (
    ("اليوم", "today"), ("غدا", "tomorrow"), ("الأسبوع المقبل", "next week"),
    ("الشهر المقبل", "next month"), ("مساء اليوم", "this evening"),
)  # fmt: skip
WEEKDAYS = (
    ("الأحد", "Sunday"), ("الاثنين", "Monday"), ("الثلاثاء", "Tuesday"),
    ("الأربعاء", "Wednesday"), ("الخميس", "Thursday"), ("الجمعة", "Friday"),
    ("السبت", "Saturday"),
)  # fmt: skip
MONTHS_LEVANT = ("كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب",
                 "أيلول", "تشرين الأول", "تشرين الثاني", "كانون الأول")  # fmt: skip
MONTHS_EGYPT = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس",
                "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر")  # fmt: skip
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")  # fmt: skip

QUOTES = (
    ("لن نعلق على تسريبات صحافية", "We will not comment on press leaks"),
    ("محاربة الإرهاب تتطلب العمل سوية", "Fighting terrorism requires working together"),
    ("سيكون لدينا وقت كاف للحديث عن ذلك", "We will have enough time to talk about that"),
    ("ليس واضحا ما إذا كنا سنصل إلى اتفاق", "It is not clear whether we will reach an agreement"),
    ("لا ننسق لعمليات عسكرية مع روسيا", "We are not coordinating military operations with Russia"),
    ("الطيران الروسي لا ينفذ أعمالا انتقامية",
     "Russian aviation is not carrying out acts of revenge"),
    ("نحن مستعدون للتعاون", "We are ready to cooperate"),
    ("الحل السياسي هو الطريق الوحيد", "A political solution is the only way"),
    ("الوضع في المدينة صعب جدا", "The situation in the city is very difficult"),
    ("لا يمكن تحقيق السلام من دون حوار", "Peace cannot be achieved without dialogue"),
    ("هذه خطوة مهمة", "This is an important step"),
    ("المحادثات كانت بناءة", "The talks were constructive"),
    ("سأدلي بتصريحات... سأذهب إلى {c1}", "I will make statements... I will go to {c1}"),
    ("سنلتقي في {c1} الأسبوع المقبل", "We will meet in {c1} next week"),
    ("نحن قلقون من الوضع في {pl1}", "We are concerned about the situation in {pl1}"),
    ("لا توجد خطة لإرسال قوات برية إلى {n1}", "There is no plan to send ground troops to {n1}"),
)  # fmt: skip

CLAUSES = (
    ("{n1} [يؤيد|تؤيد:n1] فكرة تنسيق الجهود مع {n2}",
     "{n1} supports the idea of coordinating efforts with {n2}"),
    ("{p1} [سيزور|ستزور:p1] {pl1} {df}", "{p1} will visit {pl1} {df}"),
    ("المحادثات ركزت على {t}", "the talks focused on {t}"),
    ("الطيران الروسي شن {num} غارة على مواقع {g1} {pl1:في}",
     "Russian aircraft carried out {num} air strikes on {g1} positions in {pl1}"),
    ("{g1} [يسيطر|تسيطر:g1] على أجزاء من مدينة {c1}", "{g1} controls parts of the city of {c1}"),
    ("{n1} [يعرض|تعرض:n1] على {n2} تعزيز التعاون العسكري",
     "{n1} is offering {n2} closer military cooperation"),
    ("{num} شخصا قتلوا في انفجار {c1:في}", "{num} people were killed in an explosion in {c1}"),
    ("الجانبين سيعقدان جولة جديدة من المحادثات {c1:في} {df}",
     "the two sides will hold a new round of talks in {c1} {df}"),
    ("{p1} [سيلتقي|ستلتقي:p1] {p2} {c1:في} {df}", "{p1} will meet {p2} in {c1} {df}"),
    ("{o1} [لا يملك|لا تملك:o1] استراتيجية واضحة {n1:في}",
     "{o1} has no clear strategy in {n1}"),
    ("{g1} [يتلقى|تتلقى:g1] دعما من {n1}", "{g1} receives support from {n1}"),
    ("ضربات الطيران الروسي ضد {g1} {n1:في} تأتي في إطار العملية الجوية المستمرة",
     "the Russian air strikes against {g1} in {n1} are part of the ongoing air operation"),
)  # fmt: skip

DEMANDS = (
    ("وقف إطلاق النار في {pl1}", "a ceasefire in {pl1}"),
    ("حل سياسي للأزمة السورية", "a political solution to the Syrian crisis"),
    ("تعزيز التنسيق في الأجواء السورية", "stronger coordination in Syrian airspace"),
    ("إيصال المساعدات الإنسانية إلى {c1}", "the delivery of humanitarian aid to {c1}"),
    ("تبادل المعلومات مع {n1}", "sharing information with {n1}"),
    ("محاربة {g1}", "fighting {g1}"),
)

TEMPLATES = (
    ("talks", "[أجرى|أجرت:p1] {p1} محادثات {d} مع {p2} {pl1:في}.",
     "{p1} held talks with {p2} in {pl1} {d}."),
    ("met", "[التقى|التقت:p1] {p1} {p2} {c1:في} {d}.", "{p1} met {p2} in {c1} {d}."),
    ("said", "[قال|قالت:p1] {p1} إن {cl}.", "{p1} said that {cl}."),
    ("announced", "[أعلن|أعلنت:o1] {o1} {d} أن {cl}.", "{o1} announced {d} that {cl}."),
    ("stressed", "[أكد|أكدت:p1] {p1} أن {cl}.", "{p1} stressed that {cl}."),
    ("reported", "[ذكر|ذكرت:m1] {m1} أن {cl}.", "{m1} reported that {cl}."),
    ("quoted", "[نقل|نقلت:m1] {m1} عن {p1} [قوله|قولها:p1]: «{q}».",
     '{m1} quoted {p1} as saying: "{q}."'),
    ("said_quote", "[قال|قالت:p1] {p1}: «{q}».", '{p1} said: "{q}."'),
    ("strikes", "شنت طائرات {a} {num} غارة على مواقع {g1} {pl1:في} {d}.",
     "{a} aircraft carried out {num} air strikes on {g1} positions in {pl1} {d}."),
    ("arrived", "[وصل|وصلت:p1] {p1} إلى {pl1} {d} في زيارة رسمية.",
     "{p1} arrived in {pl1} {d} on an official visit."),
    ("killed", "قتل {num} مدنيا في غارات جوية على مدينة {c1} {d}.",
     "{num} civilians were killed in air strikes on the city of {c1} {d}."),
    ("seized", "[سيطر|سيطرت:g1] {g1} على مدينة {c1} {d}.",
     "{g1} took control of the city of {c1} {d}."),
    ("declined", "[رفض|رفضت:p1] {p1} التعليق على {t}.", "{p1} declined to comment on {t}."),
    ("avoided", "[تجنب|تجنبت:o1] {o1} الرد على تكهنات حول {t}.",
     "{o1} avoided responding to speculation about {t}."),
    ("will_hold", "[يعقد|تعقد:p1] {p1} {p2:و} جلسة محادثات {c1:في} {df}.",
     "{p1} and {p2} will hold a round of talks in {c1} {df}."),
    ("called", "[دعا|دعت:p1] {p1} إلى {dem}.", "{p1} called for {dem}."),
    ("shot_down", "[أسقط|أسقطت:g1] {g1} مروحية روسية قرب {c1} {d}.",
     "{g1} shot down a Russian helicopter near {c1} {d}."),
    ("bombers", "انطلقت القاذفات من قواعد {n1:في} لضرب أهداف {n2:في}.",
     "The bombers took off from bases in {n1} to strike targets in {n2}."),
    ("ops_room", "اتفق الجانبان على تأسيس غرفة عمليات مشتركة مقرها {c1}.",
     "The two sides agreed to set up a joint operations room based in {c1}."),
    ("headline", "{p1} [يلتقي|تلتقي:p1] {p2} {c1:في}", "{p1} meets {p2} in {c1}"),
    ("official_told", "قال مسؤول كبير في {o1} {m1:ل} إن {cl}.",
     "A senior official at {o1} told {m1} that {cl}."),
    ("welcomed", "[رحب|رحبت:p1] {p1} بنتائج المحادثات مع {p2}.",
     "{p1} welcomed the results of the talks with {p2}."),
    ("phone", "[بحث|بحثت:p1] {p1} مع {p2} {t} في اتصال هاتفي {d}.",
     "{p1} discussed {t} with {p2} in a phone call {d}."),
    ("will_visit", "[يزور|تزور:p1] {p1} {pl1} {df} لإجراء محادثات مع {p2}.",
     "{p1} will visit {pl1} {df} for talks with {p2}."),
    ("operation", "[أطلق|أطلقت:o1] {o1} على العملية اسم «{lat}».",
     '{o1} named the operation "{lat}".'),
    ("accused", "[اتهم|اتهمت:p1] {p1} {o1} بدعم {g1}.", "{p1} accused {o1} of supporting {g1}."),
    ("fighters", "تشير التقديرات إلى أن {g1} [يضم|تضم:g1] نحو {big} مقاتل {pl1:في}.",
     "Estimates indicate that {g1} has about {big} fighters in {pl1}."),
    ("warned", "[حذر|حذرت:p1] {p1} من تدهور الوضع الإنساني {pl1:في}.",
     "{p1} warned of a deterioration of the humanitarian situation in {pl1}."),
    ("concern", "[أعرب|أعربت:p1] {p1} عن [قلقه|قلقها:p1] إزاء التصعيد {pl1:في}.",
     "{p1} expressed concern about the escalation in {pl1}."),
    ("approved", "[وافق|وافقت:o1] {o1} على خطة {p1} لوقف إطلاق النار في {n1}.",
     "{o1} approved {p1}'s plan for a ceasefire in {n1}."),
    ("received", "[استقبل|استقبلت:p1] {p1} {p2} {c1:في} {d}.", "{p1} received {p2} in {c1} {d}."),
    ("refugees", "بلغ عدد اللاجئين السوريين {n1:في} {big} لاجئ.",
     "The number of Syrian refugees in {n1} reached {big}."),
    ("denied", "[نفى|نفت:o1] {o1} أن {cl}.", "{o1} denied that {cl}."),
    ("adding", "[قال|قالت:p1] {p1} إن {cl}، [مضيفا|مضيفة:p1] أن {cl2}.",
     "{p1} said that {cl}, adding that {cl2}."),
    ("document", "[أوضح|أوضحت:m1] {m1} أن {p1} [يحمل|تحمل:p1] وثيقة إلى الجانب الروسي.",
     "{m1} explained that {p1} is carrying a document to the Russian side."),
)  # fmt: skip

# Latin-script strings: syllables of invented names, English nouns of organisation names,
# and the wire-service renderings a glossary injects into the Arabic source.
ONSETS = ("b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "q", "r", "s", "t",
          "v", "w", "x", "y", "z", "ch", "sh", "kh", "th", "br", "tr", "st", "gr", "")  # fmt: skip
VOWELS = ("a", "e", "i", "o", "u", "ai", "ou", "ia", "y")
CODAS = ("", "", "", "n", "r", "s", "l", "m", "k", "x", "z")
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LATIN_NOUNS = ("Front", "State", "Army", "Brigade", "Council", "Movement", "Party", "Union",
               "Agency", "News", "Times", "Post", "Group", "Forces", "Alliance")  # fmt: skip
WIRE_RENDERINGS = ("Islamic State", "Nusra Front", "al-Qaeda", "Dmitry Peskov", "Vladimir Putin",
                   "Sergei Lavrov", "John Kerry", "Palmyra", "Kremlin", "Reuters", "Hezbollah",
                   "Tupolev", "Bashar al-Assad", "Washington Post", "Moscow")  # fmt: skip
# How a Latin name sits in the Arabic sentence, per slot type: (Arabic frame, English frame)
LATIN_FRAMES = {
    "p": (("{}", "{}"), ("{}", "{}"), ("الرئيس الروسي {}", "Russian President {}"),
          ("وزير الخارجية الأميركي {}", "US Secretary of State {}")),
    "g": (("{}", "{}"), ("«{}»", "{}"), ("تنظيم {}", "{}"), ("تنظيم «{}»", "{}")),
    "m": (("{}", "{}"), ("«{}»", "{}"), ("صحيفة «{}»", "{}"), ("وكالة {}", "{}")),
    "o": (("{}", "{}"), ("«{}»", "{}")),
}  # fmt: skip
