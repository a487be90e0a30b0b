"""What the people of the demo story write (app/journal/demo.py): letters to complainants in
their language, complainants' replies and disputes, and staff's internal reasons in English
(the demo accounts' language). The complaints themselves come from seed.py.

The letter template prints the closing and the signature, so letters here end with their last
sentence. `{name}` is the complainant's full name, `{number}` an incoming number, `{digits}` four
digits of a card.
"""

from __future__ import annotations

#: Letters: kind -> language -> variants. "decision_<resolution>" are a decision's reasons.
LETTERS: dict[str, dict[str, tuple[str, ...]]] = {
    "response": {
        "en": (
            "Dear {name},\n\nThank you for writing to us. We have looked at your account and at the transactions "
            "you describe, and passed the case to the department responsible, which is checking it against our "
            "payment and betting records. We will send you our decision as soon as the check is complete, and "
            "within the deadline of our complaints procedure.",
            "Dear {name},\n\nWe have received your complaint and checked the history of your account. What you "
            "describe matches our records in part; we are now asking the provider involved for its logs. You do "
            "not need to do anything for the moment: we will write to you again with our decision.",
        ),
        "ro": (
            "Bună ziua, {name},\n\nVă mulțumim că ne-ați scris. Am verificat contul dumneavoastră și tranzacțiile "
            "pe care le menționați și am transmis cazul departamentului responsabil, care îl verifică în evidențele "
            "noastre de plăți și pariuri. Vă vom comunica decizia imediat ce verificarea este încheiată, în termenul "
            "prevăzut de procedura noastră de soluționare a reclamațiilor.",
            "Bună ziua, {name},\n\nAm primit reclamația dumneavoastră și am verificat istoricul contului. Ceea ce "
            "descrieți corespunde în parte cu evidențele noastre; solicităm acum jurnalele furnizorului implicat. "
            "Deocamdată nu trebuie să faceți nimic: vă vom scrie din nou cu decizia.",
        ),
        "ru": (
            "Здравствуйте, {name}!\n\nБлагодарим вас за обращение. Мы проверили ваш аккаунт и указанные операции и "
            "передали дело в ответственный отдел, который сверяет его с нашими данными о платежах и ставках. Мы "
            "сообщим вам решение сразу после завершения проверки и в срок, установленный нашим порядком "
            "рассмотрения жалоб.",
            "Здравствуйте, {name}!\n\nМы получили вашу жалобу и проверили историю аккаунта. Описанное вами "
            "частично совпадает с нашими данными; сейчас мы запрашиваем журналы у соответствующего поставщика. "
            "Пока от вас ничего не требуется: мы напишем вам ещё раз с решением.",
        ),
        "uk": (
            "Добрий день, {name}!\n\nДякуємо за ваше звернення. Ми перевірили ваш обліковий запис і зазначені "
            "операції та передали справу до відповідального відділу, який звіряє її з нашими даними про платежі "
            "та ставки. Ми повідомимо вам рішення одразу після завершення перевірки і в строк, встановлений нашим "
            "порядком розгляду скарг.",
            "Добрий день, {name}!\n\nМи отримали вашу скаргу й перевірили історію облікового запису. Описане вами "
            "частково збігається з нашими даними; зараз ми запитуємо журнали у відповідного постачальника. Поки "
            "що від вас нічого не потрібно: ми напишемо вам ще раз із рішенням.",
        ),
    },
    "response_after_reply": {
        "en": ("Dear {name},\n\nThank you for the information you sent. It allows us to trace the transaction; we "
               "have asked the bank to confirm it and will send you our decision shortly.",),
        "ro": ("Bună ziua, {name},\n\nVă mulțumim pentru informațiile trimise. Ele ne permit să identificăm "
               "tranzacția; am cerut băncii confirmarea și vă vom comunica decizia în curând.",),
        "ru": ("Здравствуйте, {name}!\n\nБлагодарим за присланные сведения. Они позволяют отследить операцию; мы "
               "запросили подтверждение у банка и вскоре сообщим вам решение.",),
        "uk": ("Добрий день, {name}!\n\nДякуємо за надіслані відомості. Вони дають змогу відстежити операцію; ми "
               "запитали підтвердження в банку й незабаром повідомимо вам рішення.",),
    },
    "response_to_dispute": {
        "en": ("Dear {name},\n\nYour objection has been registered and the case is being reviewed again by a "
               "colleague who did not take the first decision. We will write to you with the outcome.",),
        "ro": ("Bună ziua, {name},\n\nContestația dumneavoastră a fost înregistrată, iar cazul este reexaminat de "
               "un coleg care nu a participat la prima decizie. Vă vom comunica rezultatul.",),
        "ru": ("Здравствуйте, {name}!\n\nВаше возражение зарегистрировано, и дело повторно рассматривает "
               "сотрудник, который не участвовал в первом решении. Мы сообщим вам результат.",),
        "uk": ("Добрий день, {name}!\n\nВаше заперечення зареєстровано, і справу повторно розглядає працівник, "
               "який не брав участі в першому рішенні. Ми повідомимо вам результат.",),
    },
    "information_request": {
        "en": (
            "Dear {name},\n\nTo finish checking your complaint we need a screenshot or a bank statement showing "
            "the transaction, and the last four digits of the card you used. Please reply from your tracking "
            "page or send them to us by post. Until then your complaint waits for your answer.",
            "Dear {name},\n\nPlease send us a copy of an identity document in the name of the account holder, so "
            "that we can complete the check you ask for. You can send it by post or hand it in at our office.",
        ),
        "ro": (
            "Bună ziua, {name},\n\nPentru a încheia verificarea reclamației avem nevoie de o captură de ecran sau "
            "de un extras bancar care să arate tranzacția, precum și de ultimele patru cifre ale cardului folosit. "
            "Vă rugăm să ne răspundeți din pagina de urmărire a reclamației sau prin poștă. Până atunci, "
            "reclamația așteaptă răspunsul dumneavoastră.",
            "Bună ziua, {name},\n\nVă rugăm să ne trimiteți o copie a unui act de identitate pe numele titularului "
            "contului, ca să putem încheia verificarea solicitată. O puteți trimite prin poștă sau o puteți depune "
            "la sediul nostru.",
        ),
        "ru": (
            "Здравствуйте, {name}!\n\nЧтобы завершить проверку жалобы, нам нужен скриншот или банковская выписка "
            "с этой операцией, а также последние четыре цифры использованной карты. Пожалуйста, ответьте через "
            "страницу отслеживания жалобы или пришлите их почтой. До вашего ответа жалоба ожидает сведений от вас.",
            "Здравствуйте, {name}!\n\nПожалуйста, пришлите копию документа, удостоверяющего личность, на имя "
            "владельца аккаунта, чтобы мы могли завершить проверку, о которой вы просите. Её можно отправить "
            "почтой или передать в нашем офисе.",
        ),
        "uk": (
            "Добрий день, {name}!\n\nЩоб завершити перевірку скарги, нам потрібен знімок екрана або банківська "
            "виписка з цією операцією, а також останні чотири цифри використаної картки. Будь ласка, дайте "
            "відповідь через сторінку відстеження скарги або надішліть їх поштою. До вашої відповіді скарга "
            "очікує на відомості від вас.",
            "Добрий день, {name}!\n\nБудь ласка, надішліть копію документа, що посвідчує особу, на ім'я власника "
            "облікового запису, щоб ми могли завершити перевірку, про яку ви просите. Її можна надіслати поштою "
            "або передати в нашому офісі.",
        ),
    },
    "decision_upheld": {
        "en": ("Dear {name},\n\nWe have completed our check and uphold your complaint. Our records confirm what "
               "you describe: the error was ours. The amount concerned has been credited to your account today, "
               "and we have corrected the cause so that it does not happen again. We apologise for the "
               "inconvenience.",),
        "ro": ("Bună ziua, {name},\n\nAm încheiat verificarea și admitem reclamația dumneavoastră. Evidențele "
               "noastre confirmă cele descrise: eroarea ne aparține. Suma în cauză a fost creditată astăzi în "
               "contul dumneavoastră, iar cauza a fost corectată, ca să nu se repete. Ne cerem scuze pentru "
               "neplăcerile create.",),
        "ru": ("Здравствуйте, {name}!\n\nМы завершили проверку и удовлетворяем вашу жалобу. Наши данные "
               "подтверждают описанное вами: ошибка допущена с нашей стороны. Соответствующая сумма сегодня "
               "зачислена на ваш счёт, а причина устранена, чтобы это не повторилось. Приносим извинения за "
               "доставленные неудобства.",),
        "uk": ("Добрий день, {name}!\n\nМи завершили перевірку й задовольняємо вашу скаргу. Наші дані "
               "підтверджують описане вами: помилку допущено з нашого боку. Відповідну суму сьогодні зараховано на "
               "ваш рахунок, а причину усунено, щоб це не повторилося. Перепрошуємо за незручності.",),
    },
    "decision_partly_upheld": {
        "en": ("Dear {name},\n\nWe have completed our check and uphold your complaint in part. The delay you "
               "describe was caused by our payment provider, and we refund the fee charged for the transaction. "
               "The rest of your request cannot be granted: the terms of the offer, which you accepted, exclude "
               "it. If you disagree, you may dispute this decision from your tracking page.",),
        "ro": ("Bună ziua, {name},\n\nAm încheiat verificarea și admitem parțial reclamația. Întârzierea descrisă "
               "a fost cauzată de procesatorul nostru de plăți, așa că vă restituim comisionul perceput pentru "
               "tranzacție. Restul cererii nu poate fi admis: condițiile ofertei, pe care le-ați acceptat, îl "
               "exclud. Dacă nu sunteți de acord, puteți contesta decizia din pagina de urmărire a reclamației.",),
        "ru": ("Здравствуйте, {name}!\n\nМы завершили проверку и удовлетворяем вашу жалобу частично. Описанная "
               "задержка возникла по вине нашего платёжного провайдера, поэтому мы возвращаем комиссию, удержанную "
               "за операцию. Остальная часть требования не может быть удовлетворена: её исключают условия "
               "предложения, которые вы приняли. Если вы не согласны, вы можете оспорить решение на странице "
               "отслеживания жалобы.",),
        "uk": ("Добрий день, {name}!\n\nМи завершили перевірку й задовольняємо вашу скаргу частково. Описана "
               "затримка сталася з вини нашого платіжного провайдера, тому ми повертаємо комісію, утриману за "
               "операцію. Решту вимоги задовольнити неможливо: її виключають умови пропозиції, які ви прийняли. "
               "Якщо ви не згодні, ви можете оскаржити рішення на сторінці відстеження скарги.",),
    },
    "decision_rejected": {
        "en": ("Dear {name},\n\nWe have completed our check and must reject your complaint. Our records show that "
               "the transaction was processed correctly and in line with the rules published on our website at "
               "the time; the logs of the event and of your account are kept with the case. If you disagree, you "
               "may dispute this decision from your tracking page or refer it to the external ombudsman.",),
        "ro": ("Bună ziua, {name},\n\nAm încheiat verificarea și suntem nevoiți să respingem reclamația. "
               "Evidențele noastre arată că tranzacția a fost procesată corect, conform regulilor publicate atunci "
               "pe site-ul nostru; jurnalele evenimentului și ale contului dumneavoastră sunt păstrate la dosar. "
               "Dacă nu sunteți de acord, puteți contesta decizia din pagina de urmărire a reclamației sau vă "
               "puteți adresa ombudsmanului extern.",),
        "ru": ("Здравствуйте, {name}!\n\nМы завершили проверку и вынуждены отклонить вашу жалобу. Наши данные "
               "показывают, что операция была проведена правильно и в соответствии с правилами, опубликованными "
               "тогда на нашем сайте; журналы события и вашего аккаунта приобщены к делу. Если вы не согласны, вы "
               "можете оспорить решение на странице отслеживания жалобы или обратиться к внешнему омбудсмену.",),
        "uk": ("Добрий день, {name}!\n\nМи завершили перевірку й змушені відхилити вашу скаргу. Наші дані "
               "показують, що операцію проведено правильно й відповідно до правил, опублікованих тоді на нашому "
               "сайті; журнали події та вашого облікового запису долучено до справи. Якщо ви не згодні, ви можете "
               "оскаржити рішення на сторінці відстеження скарги або звернутися до зовнішнього омбудсмена.",),
    },
    "decision_no_information": {
        "en": ("Dear {name},\n\nWe asked you for the information needed to check your complaint but have not "
               "received it. On the records we hold we cannot confirm what you describe, so we reject the "
               "complaint. If you send us the information later, we will look at the case again.",),
        "ro": ("Bună ziua, {name},\n\nV-am solicitat informațiile necesare pentru verificarea reclamației, dar nu "
               "le-am primit. Pe baza evidențelor de care dispunem nu putem confirma cele descrise, așa că "
               "respingem reclamația. Dacă ne trimiteți informațiile ulterior, vom reexamina cazul.",),
        "ru": ("Здравствуйте, {name}!\n\nМы запросили у вас сведения, необходимые для проверки жалобы, но не "
               "получили их. По имеющимся у нас данным мы не можем подтвердить описанное вами, поэтому отклоняем "
               "жалобу. Если вы пришлёте сведения позже, мы рассмотрим дело повторно.",),
        "uk": ("Добрий день, {name}!\n\nМи запитали у вас відомості, потрібні для перевірки скарги, але не "
               "отримали їх. За наявними в нас даними ми не можемо підтвердити описане вами, тому відхиляємо "
               "скаргу. Якщо ви надішлете відомості пізніше, ми розглянемо справу повторно.",),
    },
}

#: What complainants write back: kind -> language -> variants ("information" answers the
#: "information_request" of the same place).
COMPLAINANT: dict[str, dict[str, tuple[str, ...]]] = {
    "information": {
        "en": ("Here is the bank statement: the transaction is on the third line. The card ends in {digits}.",
               "I sent a copy of my passport by post today. The account is in my name."),
        "ro": ("Vă trimit extrasul bancar: tranzacția este pe rândul al treilea. Cardul se termină în {digits}.",
               "Am trimis astăzi prin poștă o copie a buletinului. Contul este pe numele meu."),
        "ru": ("Высылаю банковскую выписку: операция в третьей строке. Карта заканчивается на {digits}.",
               "Сегодня отправлена почтой копия паспорта. Аккаунт оформлен на меня."),
        "uk": ("Надсилаю банківську виписку: операція в третьому рядку. Картка закінчується на {digits}.",
               "Сьогодні надіслано поштою копію паспорта. Обліковий запис оформлено на мене."),
    },
    "follow_up": {
        "en": ("Thank you. How long will the check take? The money is still not on my card.",),
        "ro": ("Mulțumesc. Cât va dura verificarea? Banii tot nu au ajuns pe card.",),
        "ru": ("Спасибо. Сколько продлится проверка? Деньги всё ещё не поступили на карту.",),
        "uk": ("Дякую. Скільки триватиме перевірка? Гроші досі не надійшли на картку.",),
    },
    "dispute": {
        "en": ("I do not accept this decision. The rules you quote were changed after my bet was placed, and I "
               "have screenshots of the old version.",
               "Your answer does not explain why the money left my card. I want the case looked at again by "
               "someone else."),
        "ro": ("Nu accept această decizie. Regulile pe care le invocați au fost modificate după ce am plasat "
               "pariul, iar eu am capturi de ecran cu versiunea veche.",
               "Răspunsul dumneavoastră nu explică de ce banii au fost retrași de pe card. Cer ca reclamația să fie "
               "reexaminată de altcineva."),
        "ru": ("Я не принимаю это решение. Правила, на которые вы ссылаетесь, были изменены уже после того, как "
               "ставка была сделана; у меня есть скриншоты старой версии.",
               "Ваш ответ не объясняет, почему деньги списаны с карты. Прошу, чтобы жалобу рассмотрел кто-то "
               "другой."),
        "uk": ("Я не приймаю це рішення. Правила, на які ви посилаєтеся, змінили вже після того, як ставку було "
               "зроблено; у мене є знімки екрана старої версії.",
               "Ваша відповідь не пояснює, чому гроші списано з картки. Прошу, щоб скаргу розглянув хтось інший."),
    },
}

#: Staff's own reasons and notes (English, the demo accounts' language): kind -> variants.
STAFF: dict[str, tuple[str, ...]] = {
    "transfer": (
        "Sergiu handles card payouts with the bank; he has the provider's logs.",
        "The bet was settled by the trading team: the specialist department should answer.",
        "Account verification questions go to the specialist department.",
    ),
    "escalate": (
        "The amount is above what the support desk may refund.",
        "The complainant alleges a settlement error; the trading team must decide.",
    ),
    "escalate_to_management": (
        "A goodwill payment above the department's authority: management must decide.",
        "Possibly a systematic fault affecting other customers; management should see it.",
    ),
    "consult": (
        "Have you seen this gateway error before? The payout left our account but never reached the card.",
        "Is the bonus on this account excluded by the wagering rules, or was it a system error?",
        "Could you check the trading log of this ticket? The settlement looks wrong to me.",
    ),
    "reopen": (
        "The payment provider has now confirmed that the transfer failed: the decision must be revisited.",
        "New evidence from the complainant's bank contradicts our logs; the decision is set aside.",
    ),
    "send_back": (
        "Refund the fee as a goodwill gesture and answer the complainant within two days.",
        "Management agrees to pay the winnings: record the decision as upheld and close the case.",
    ),
    "assign": (
        "Sergiu, please take this one over: it has waited too long at the desk.",
    ),
    "annul": (
        "Registered twice by mistake: the same letter is registered as {number}.",
    ),
    "correct": (
        "The apartment number was missing; confirmed by the complainant by phone.",
    ),
}

#: Postal addresses of complainants who write on paper.
ADDRESSES = (
    "str. Ștefan cel Mare 12, ap. 4, Chișinău",
    "bd. Dacia 27, ap. 81, Chișinău",
    "str. Independenței 3, Bălți",
    "str. Alba Iulia 75, ap. 19, Chișinău",
    "str. Pușkin 22, Cahul",
    "str. Mitropolit Varlaam 63, Chișinău",
    "str. Libertății 8, Orhei",
)
