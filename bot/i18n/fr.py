"""Catalogue français (langue par défaut). Mêmes clés et mêmes paramètres que en.py : un test le vérifie.

Chaque surface a sa section ; ajoutez vos messages dans la vôtre.
"""

MESSAGES = {
    # --- commun ---
    "common.internal_error": ":warning: Un problème inattendu est survenu ; rien n'a été modifié. Réessayez dans un instant.",
    "common.not_comms": ":no_entry: Seuls les membres de l'équipe des communications peuvent {action}.",
    "common.unknown_subcommand": "Je ne connais pas « {text} » pour {command}. Voici ce que je sais faire :",
    "common.cancel": "Annuler",
    "common.submit": "Enregistrer",
    "common.close": "Fermer",
    "common.yes": "Oui",
    "common.no": "Non",
    "common.and_more": "… et {count} de plus",
    "common.none": "aucun",
    # --- configuration ---
    "settings.line": "{variable} : {expected}{got}",
    "settings.got": " (reçu « {value} »)",
    "settings.port": "attend un nombre entier de 1 à 65535",
    "settings.timezone": "attend un fuseau horaire IANA, par exemple America/Montreal",
    "settings.language": "attend fr ou en",
    "settings.bot_token": "attend un jeton de bot commençant par xoxb-",
    "settings.app_token": "attend un jeton d'application commençant par xapp-",
    "settings.url": "attend une adresse http:// ou https://",
    "settings.channel": "attend l'ID d'un canal Slack, par exemple C0123ABCD (pas un #nom)",
    "settings.users": "attend des ID d'utilisateurs Slack séparés par des virgules, par exemple U0123,U0456",
    "settings.digest_at": "attend un jour et une heure, par exemple « monday 09:00 » ou « lundi 09:00 »",
    "settings.checkpoints": "attend des nombres de jours croissants séparés par des virgules, par exemple 2,7,30",
    "settings.instant": "attend une date et une heure ISO 8601, par exemple 2026-12-01T09:00",
    "settings.feed_kind": "attend URL ou type=URL, le type étant closure, exams, term-start, reading-week ou other",
    "settings.required_bot_token": "est requis dans ce mode : un jeton de bot commençant par xoxb-",
    "settings.required_channel": "est requis dans ce mode : l'ID du canal de l'équipe, par exemple C0123ABCD",
    "settings.required_secret": "est requis en mode HTTP : le secret de signature de l'application",
    "settings.required_app_token": "est requis en mode Socket : un jeton d'application commençant par xapp-",
    "settings.file_missing": "attend un fichier existant",
    "cli.unexpected_mode": "Mode inconnu « {mode} ». Modes : console, socket, serve, tick, digest, export, import, calendar, backup, check.",
    # --- fichiers de configuration ---
    "config.line": "{location} : {problem}",
    "config.file_missing": "fichier introuvable",
    "config.toml": "TOML illisible",
    "config.no_outlets": "au moins une table [[outlet]] est attendue",
    "config.duplicate": "déjà utilisé par une entrée précédente",
    "config.missing": "obligatoire",
    "config.type_text": "attend un texte",
    "config.type_int": "attend un nombre entier",
    "config.type_list": "attend une liste",
    "config.type_date": "attend une date, par exemple 2026-12-24",
    "config.slug": "attend des minuscules, des chiffres et des tirets, par exemple udem-facebook",
    "config.owner": "attend \"university\" ou \"library\"",
    "config.range": "attend un nombre entier de {low} à {high}",
    "config.strings": "attend une liste de textes non vides",
    "config.kind": "attend closure, exams, term-start, reading-week ou other",
    "config.category": "attend cyclic, one-off ou collections",
    "config.end_before_start": "la fin précède le début",
    "config.unknown_outlet": "canal inconnu « {slug} » (voir OUTLETS_FILE)",
    # --- vérification (python -m bot check) ---
    "check.settings_ok": "✓ Réglages valides (langue {language}, fuseau {timezone}, base {database}).",
    "check.database_ok": "✓ Base SQLite prête : {path} (schéma à jour, intégrité ok).",
    "check.no_credentials": "• Pas de jeton Slack : la console est le mode par défaut. Voir le README pour créer l'application Slack.",
    "check.auth_ok": "✓ Jeton valide : bot @{user} dans l'espace {team}.",
    "check.auth_failed": "✗ Slack refuse le jeton ({error}) : vérifiez SLACK_BOT_TOKEN (Installed App Settings → Bot User OAuth Token).",
    "check.unreachable": "✗ Slack injoignable à {url} ({error}).",
    "check.scopes_missing": "✗ Portées manquantes : {scopes}. Ajoutez-les (manifeste de l'application), puis réinstallez l'application.",
    "check.scopes_ok": "✓ Portées présentes.",
    "check.channel_ok": "✓ Le bot est membre du canal de l'équipe ({channel}).",
    "check.channel_not_member": "✗ Le bot n'est pas membre du canal {channel} : tapez /invite @Relais dans ce canal.",
    "check.channel_not_found": "✗ Canal {channel} introuvable ({error}) : vérifiez TEAM_CHANNEL (ID du canal, pas son nom).",
    "check.no_team_channel": "✗ TEAM_CHANNEL est vide : indiquez l'ID du canal de l'équipe.",
    "check.failed_rows": "✗ {count} message(s) n'ont pas pu être envoyés après plusieurs essais :",
    "check.failed_row": "   - #{id} {kind} pour {target}, prévu {due} : {error}",
    "check.all_good": "Tout est en ordre.",
    "check.problems": "{count} problème(s) à corriger.",
    # --- sauvegarde ---
    "backup.done": "Sauvegarde écrite dans {path} ({pages} pages, intégrité ok).",
    "backup.failed": "Sauvegarde impossible : {error}",
    # --- aide ---
    "help.propose": (
        "*/propose — proposer un contenu aux canaux de l'Université*\n"
        "• `/propose` ouvre le formulaire.\n"
        "• `/propose TITRE | DATE | CANAL[, CANAL…] [| CATÉGORIE]` en une ligne, par exemple\n"
        "   `/propose Zooanimation aux examens | 10 décembre | udem-facebook, udem-instagram-story | cyclic`\n"
        "   DATE : `2026-12-10`, « 10 décembre », « vendredi prochain », « demain ».\n"
        "   CATÉGORIE : `cyclic` (cyclique), `one-off` (ponctuel), `collections` (livres rares et collections spéciales).\n"
        "• `/propose list` : les propositions en cours, les plus proches d'abord.\n"
        "• `/propose show N` : la proposition n° N et son historique.\n"
        "• `/propose outlets` : les canaux et leurs règles (délai, fréquence, contenu à fournir, publics).\n"
        "• `/propose help` : cette aide.\n"
        "Les échéances sont calculées en jours ouvrables (fins de semaine, jours fériés du Québec et fermetures de l'Université exclus)."
    ),
    "help.stats": (
        "*/stats — noter les résultats après publication*\n"
        "• `/stats` ouvre le formulaire des publications en attente de chiffres.\n"
        "• `/stats N CANAL vues=19279 interactions=996 [temps=2:30]` en une ligne "
        "(aussi `views=`, `time=` ; « 19 279 » et « 19,279 » sont acceptés).\n"
        "• `/stats report [week|month|term|AAAA-MM|all]` : totaux par canal et par catégorie, meilleures publications, "
        "portée des comptes de l'Université comparée à celle des comptes des bibliothèques.\n"
        "• `/stats export [période]` : un fichier CSV dans vos messages directs.\n"
        "• `/stats help` : cette aide."
    ),
    # --- console ---
    "console.banner": (
        "Relais — console (aucun jeton Slack : ceci tient lieu de Slack).\n"
        "Tapez une commande comme dans Slack (/propose help, /stats help), ou :help. Vous êtes {user} dans {channel}."
    ),
    "console.help": (
        "Commandes de la console :\n"
        "  /propose …, /stats …   une commande slash, comme dans Slack\n"
        "  :click N               appuyer sur le bouton [N]\n"
        "  :tick [AAAA-MM-JJTHH:MM]  un passage du planificateur (maintenant, ou à cette heure)\n"
        "  :digest                le bilan de la semaine\n"
        "  :home                  l'onglet Accueil de l'application\n"
        "  :help                  cette aide\n"
        "  :quit                  quitter"
    ),
    "console.unknown": "Je ne comprends pas « {text} ». Tapez :help.",
    "console.no_button": "Pas de bouton [{number}]. Boutons affichés : {available}.",
    "console.ephemeral": "(visible par vous seulement)",
    "console.in_thread": "↳ dans le fil",
    "console.dm": "message direct à {user}",
    "console.modal": "── Formulaire : {title} ── (ligne vide pour un champ facultatif, :cancel pour abandonner)",
    "console.optional": " (facultatif)",
    "console.pick": "numéro(s) séparés par des virgules",
    "console.date_hint": "AAAA-MM-JJ",
    "console.modal_cancelled": "Formulaire abandonné.",
    "console.field_error": "  ✗ {label} : {error}",
    "console.updated": "(message mis à jour)",
    "console.file": "📎 fichier « {name} » envoyé ({size} octets)",
    "console.bye": "À bientôt !",
    "console.not_available": "Cette commande n'est pas encore disponible.",
}
