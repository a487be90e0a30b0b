"""What the people of the demo story write (app/journal/demo.py): letters to complainants in
their language, complainants' replies and disputes, and staff's internal reasons in English
(the demo accounts' language). The complaints themselves come from seed.py.

The letter template prints the closing and the signature, so letters here end with their last
sentence. `{name}` is the complainant's full name, `{number}` an incoming number, `{digits}` four
digits of a card. The answer templates' placeholders are the templates' own (app/answers/placeholders.py),
filled in when an officer inserts one.
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
    "join": (
        "The complainant sent the same complaint again: it is handled under {number}.",
        "A repeat of {number}, same customer, same matter; the answer there stands for both.",
    ),
    "link": (
        "Same incident: both customers were hit by the payment provider's outage that week; answer them alike.",
        "Both describe the same fault in the same days; keep the two decisions consistent.",
        "Same root cause as the other complaint (that week's app release): one fix answers both.",
        "About the same event, filed within days of each other: whoever decides first, tell the other.",
    ),
    "review_take_over": (
        "Above the department's authority: management decides this one itself.",
    ),
    "review_keep": (
        "Keep it: offer to refund the fee as a goodwill gesture and answer within two days.",
    ),
}

#: Answer templates the demo manager keeps (app/answers): (category, or None for every category;
#: language -> (title, body)). The letter template prints the closing and the signature.
TEMPLATES: tuple[tuple[str | None, dict[str, tuple[str, str]]], ...] = (
    ("payments", {
        "en": ("Late withdrawal: the payout is being traced",
               "Dear {name},\n\nThank you for your complaint {number} of {received} about a withdrawal that has not "
               "reached you. We have checked your account: the withdrawal was approved and sent to the payment "
               "provider, whom we have asked to trace it. A bank transfer can take up to three working days after "
               "approval; if the money has not arrived by then, we will ask the bank to investigate and write to you "
               "again."),
        "ro": ("Retragere întârziată: plata este urmărită",
               "Bună ziua, {name},\n\nVă mulțumim pentru reclamația {number} din {received} privind o retragere care "
               "nu v-a parvenit. Am verificat contul dumneavoastră: retragerea a fost aprobată și transmisă "
               "furnizorului de plăți, căruia i-am cerut să o urmărească. Un transfer bancar poate dura până la trei "
               "zile lucrătoare de la aprobare; dacă banii nu ajung până atunci, vom cere băncii o investigație și vă "
               "vom scrie din nou."),
        "ru": ("Задержка вывода: перевод отслеживается",
               "Здравствуйте, {name}!\n\nБлагодарим за жалобу {number} от {received} о выводе средств, которые до вас "
               "не дошли. Мы проверили ваш аккаунт: вывод одобрен и передан платёжному провайдеру, которого мы "
               "попросили отследить перевод. Банковский перевод может занять до трёх рабочих дней после одобрения; "
               "если деньги не поступят за это время, мы запросим расследование в банке и снова вам напишем."),
        "uk": ("Затримка виведення: переказ відстежується",
               "Добрий день, {name}!\n\nДякуємо за скаргу {number} від {received} щодо виведення коштів, які до вас "
               "не надійшли. Ми перевірили ваш обліковий запис: виведення схвалено й передано платіжному "
               "провайдеру, якого ми попросили відстежити переказ. Банківський переказ може тривати до трьох робочих "
               "днів після схвалення; якщо гроші не надійдуть за цей час, ми попросимо банк провести розслідування "
               "й знову вам напишемо."),
    }),
    ("account", {
        "en": ("Account verification: the documents we need",
               "Dear {name},\n\nWe have looked into complaint {number}. Your account was restricted because the "
               "identity check our licence requires was not complete: we need a clear copy of an identity document "
               "and a proof of address no older than three months. Please upload them in your account under "
               "Verification, or send them in reply to this letter. Once they are checked, usually within two "
               "working days, the restriction is lifted and your balance is available again."),
        "ro": ("Verificarea contului: documentele necesare",
               "Bună ziua, {name},\n\nAm examinat reclamația {number}. Contul dumneavoastră a fost restricționat "
               "deoarece verificarea identității cerută de licența noastră nu era încheiată: avem nevoie de o copie "
               "clară a actului de identitate și de o dovadă a adresei nu mai veche de trei luni. Vă rugăm să le "
               "încărcați în cont, la secțiunea Verificare, sau să le trimiteți ca răspuns la această scrisoare. "
               "După verificare, de regulă în două zile lucrătoare, restricția este ridicată și soldul vă este din "
               "nou disponibil."),
        "ru": ("Верификация аккаунта: какие документы нужны",
               "Здравствуйте, {name}!\n\nМы рассмотрели жалобу {number}. Ваш аккаунт ограничен, потому что не "
               "завершена проверка личности, которой требует наша лицензия: нам нужна чёткая копия документа, "
               "удостоверяющего личность, и подтверждение адреса не старше трёх месяцев. Пожалуйста, загрузите их "
               "в аккаунте в разделе «Верификация» или пришлите в ответ на это письмо. После проверки, обычно в "
               "течение двух рабочих дней, ограничение снимается и баланс снова доступен."),
        "uk": ("Верифікація облікового запису: які документи потрібні",
               "Добрий день, {name}!\n\nМи розглянули скаргу {number}. Ваш обліковий запис обмежено, бо не "
               "завершено перевірку особи, якої вимагає наша ліцензія: нам потрібна чітка копія документа, що "
               "посвідчує особу, і підтвердження адреси, не старше трьох місяців. Будь ласка, завантажте їх в "
               "обліковому записі в розділі «Верифікація» або надішліть у відповідь на цей лист. Після перевірки, "
               "зазвичай протягом двох робочих днів, обмеження знімається і баланс знову доступний."),
    }),
    ("bonuses", {
        "en": ("Bonus terms: why the bonus was not credited",
               "Dear {name},\n\nThank you for complaint {number}. We have checked your deposit against the terms of "
               "the offer. A welcome bonus is credited only when the offer is chosen before the first deposit and "
               "the deposit reaches the minimum the terms set; it is released once the wagering requirement is met "
               "at the odds the terms allow. We are checking whether these conditions were met on your account and "
               "will tell you the result; where they were, the bonus is credited with the date of your deposit."),
        "ro": ("Condițiile bonusului: de ce nu a fost acordat",
               "Bună ziua, {name},\n\nVă mulțumim pentru reclamația {number}. Am verificat depunerea dumneavoastră "
               "în raport cu condițiile ofertei. Bonusul de bun venit se acordă numai dacă oferta este aleasă înainte "
               "de prima depunere și depunerea atinge minimul prevăzut în condiții; el devine disponibil după "
               "îndeplinirea cerinței de rulaj la cotele admise. Verificăm dacă aceste condiții au fost îndeplinite "
               "în contul dumneavoastră și vă vom comunica rezultatul; dacă da, bonusul se acordă cu data depunerii."),
        "ru": ("Условия бонуса: почему бонус не начислен",
               "Здравствуйте, {name}!\n\nБлагодарим за жалобу {number}. Мы сверили ваш депозит с условиями акции. "
               "Приветственный бонус начисляется, только если акция выбрана до первого депозита и сумма депозита не "
               "меньше минимальной по условиям; он становится доступен после выполнения требования по отыгрышу с "
               "допустимыми коэффициентами. Мы проверяем, были ли эти условия выполнены на вашем аккаунте, и сообщим "
               "результат; если да, бонус начисляется датой вашего депозита."),
        "uk": ("Умови бонусу: чому бонус не нараховано",
               "Добрий день, {name}!\n\nДякуємо за скаргу {number}. Ми звірили ваш депозит з умовами акції. "
               "Вітальний бонус нараховується, лише якщо акцію обрано до першого депозиту і сума депозиту не менша "
               "за мінімальну за умовами; він стає доступним після виконання вимоги щодо відіграшу з допустимими "
               "коефіцієнтами. Ми перевіряємо, чи було виконано ці умови у вашому обліковому записі, і повідомимо "
               "результат; якщо так, бонус нараховується датою вашого депозиту."),
    }),
    (None, {
        "en": ("Self-exclusion: what it means for your account",
               "Dear {name},\n\nIn reply to complaint {number}: your account is self-excluded at your request for "
               "the period you chose. During that period you cannot sign in, deposit or bet, and you receive no "
               "marketing from us by any channel; any balance is paid out to your verified payment method. A "
               "self-exclusion cannot be shortened. If you received our advertising after it began, that was our "
               "error: we have removed your contacts from every marketing list and are checking how it happened."),
        "ro": ("Autoexcluderea: ce înseamnă pentru contul dumneavoastră",
               "Bună ziua, {name},\n\nCa răspuns la reclamația {number}: contul dumneavoastră este autoexclus, la "
               "cererea dumneavoastră, pentru perioada aleasă. În această perioadă nu vă puteți autentifica, nu "
               "puteți depune bani sau paria și nu primiți de la noi publicitate pe niciun canal; soldul este plătit "
               "pe metoda de plată verificată. O autoexcludere nu poate fi scurtată. Dacă ați primit publicitate "
               "după începutul ei, a fost greșeala noastră: v-am eliminat datele de contact din toate listele de "
               "marketing și verificăm cum s-a întâmplat."),
        "ru": ("Самоисключение: что это значит для вашего аккаунта",
               "Здравствуйте, {name}!\n\nВ ответ на жалобу {number}: ваш аккаунт по вашей просьбе находится в "
               "режиме самоисключения на выбранный вами срок. В этот период вы не можете входить в аккаунт, вносить "
               "депозиты и делать ставки и не получаете от нас рекламы ни по одному каналу; остаток баланса "
               "выплачивается на подтверждённый способ оплаты. Самоисключение нельзя сократить. Если после его "
               "начала вы получали нашу рекламу, это наша ошибка: мы удалили ваши контакты из всех рассылок и "
               "выясняем, как это произошло."),
        "uk": ("Самовиключення: що це означає для вашого облікового запису",
               "Добрий день, {name}!\n\nУ відповідь на скаргу {number}: ваш обліковий запис за вашим проханням "
               "перебуває в режимі самовиключення на обраний вами строк. У цей період ви не можете входити до "
               "облікового запису, вносити депозити й робити ставки та не отримуєте від нас реклами жодним каналом; "
               "залишок балансу виплачується на підтверджений спосіб оплати. Самовиключення не можна скоротити. "
               "Якщо після його початку ви отримували нашу рекламу, це наша помилка: ми вилучили ваші контакти з "
               "усіх розсилок і з'ясовуємо, як це сталося."),
    }),
)

#: The sentence the manager adds to the first template halfway through the story (its version 2).
TEMPLATE_REVISION = {
    "en": "Please keep the withdrawal reference from the confirmation e-mail: the bank asks for it.",
    "ro": "Vă rugăm să păstrați referința retragerii din e-mailul de confirmare: banca o solicită.",
    "ru": "Пожалуйста, сохраните номер вывода из письма-подтверждения: его запрашивает банк.",
    "uk": "Будь ласка, збережіть номер виведення з листа-підтвердження: його запитує банк.",
}

#: The complainant's verdict on the handling (app/workflow/verdict.py): score -> language -> reasons.
RATINGS: dict[int, dict[str, tuple[str, ...]]] = {
    5: {
        "en": ("Quick and clear answer, and the money was on my card the next day.",
               "The officer explained everything and kept me informed at every step."),
        "ro": ("Răspuns rapid și clar, iar banii au ajuns pe card a doua zi.",
               "Ofițerul mi-a explicat totul și m-a ținut la curent la fiecare pas."),
        "ru": ("Быстрый и понятный ответ, деньги пришли на карту на следующий день.",
               "Сотрудник всё объяснил и держал меня в курсе на каждом шаге."),
        "uk": ("Швидка й зрозуміла відповідь, гроші надійшли на картку наступного дня.",
               "Працівник усе пояснив і тримав мене в курсі на кожному кроці."),
    },
    4: {
        "en": ("Resolved fairly, though it took longer than I expected.",),
        "ro": ("Rezolvat corect, deși a durat mai mult decât mă așteptam.",),
        "ru": ("Решили справедливо, хотя это заняло больше времени, чем я ожидал.",),
        "uk": ("Вирішили справедливо, хоча це тривало довше, ніж я очікував.",),
    },
    3: {
        "en": ("The answer was correct, but I had to write twice to get it.",),
        "ro": ("Răspunsul a fost corect, dar a trebuit să scriu de două ori ca să-l primesc.",),
        "ru": ("Ответ был верным, но мне пришлось писать дважды, чтобы его получить.",),
        "uk": ("Відповідь була правильною, але мені довелося писати двічі, щоб її отримати.",),
    },
    2: {
        "en": ("Slow, and the letter did not really answer my question.",),
        "ro": ("Lent, iar scrisoarea nu a răspuns de fapt la întrebarea mea.",),
        "ru": ("Долго, и письмо по сути не ответило на мой вопрос.",),
        "uk": ("Довго, і лист по суті не відповів на моє запитання.",),
    },
    1: {
        "en": ("Nobody listened: the decision ignores the evidence I sent.",),
        "ro": ("Nimeni nu m-a ascultat: decizia ignoră dovezile pe care le-am trimis.",),
        "ru": ("Меня никто не услышал: решение не учитывает доказательства, которые я прислал.",),
        "uk": ("Мене ніхто не почув: рішення не враховує докази, які я надіслав.",),
    },
}

#: How a complainant who sends the same complaint again begins it (the rest is the first one's text).
REPEAT = {
    "en": "I am writing again: this is still not solved.\n\n",
    "ro": "Vă scriu din nou: problema tot nu este rezolvată.\n\n",
    "ru": "Пишу повторно: проблема до сих пор не решена.\n\n",
    "uk": "Пишу повторно: проблему досі не розв'язано.\n\n",
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
