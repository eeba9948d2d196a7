"""ISO/IEC 27001:2022 Annex A: the 93 control codes with short titles (our own short form),
and the Celery beat schedules of the security app. Idempotent (update_or_create)."""
from django.db import migrations

CONTROLS = [
    # 5 Organisational
    ("5.1", "Security policies"), ("5.2", "Security roles and responsibilities"), ("5.3", "Segregation of duties"),
    ("5.4", "Management responsibilities"), ("5.5", "Contact with authorities"),
    ("5.6", "Contact with special interest groups"), ("5.7", "Threat intelligence"),
    ("5.8", "Security in project management"), ("5.9", "Asset inventory"), ("5.10", "Acceptable use of assets"),
    ("5.11", "Return of assets"), ("5.12", "Information classification"), ("5.13", "Information labelling"),
    ("5.14", "Information transfer"), ("5.15", "Access control"), ("5.16", "Identity management"),
    ("5.17", "Authentication information"), ("5.18", "Access rights"), ("5.19", "Supplier relationships"),
    ("5.20", "Security in supplier agreements"), ("5.21", "ICT supply chain security"),
    ("5.22", "Supplier service monitoring and change"), ("5.23", "Cloud services security"),
    ("5.24", "Incident management planning"), ("5.25", "Assessing security events"),
    ("5.26", "Incident response"), ("5.27", "Learning from incidents"), ("5.28", "Collection of evidence"),
    ("5.29", "Security during disruption"), ("5.30", "ICT readiness for continuity"),
    ("5.31", "Legal and contractual requirements"), ("5.32", "Intellectual property rights"),
    ("5.33", "Protection of records"), ("5.34", "Privacy and PII protection"),
    ("5.35", "Independent security review"), ("5.36", "Compliance with security policies"),
    ("5.37", "Documented operating procedures"),
    # 6 People
    ("6.1", "Screening"), ("6.2", "Terms of employment"), ("6.3", "Security awareness, education and training"),
    ("6.4", "Disciplinary process"), ("6.5", "Duties after leaving or changing role"),
    ("6.6", "Confidentiality agreements"), ("6.7", "Remote working"), ("6.8", "Security event reporting"),
    # 7 Physical
    ("7.1", "Physical perimeters"), ("7.2", "Physical entry"), ("7.3", "Securing offices and rooms"),
    ("7.4", "Physical monitoring"), ("7.5", "Physical and environmental threats"), ("7.6", "Working in secure areas"),
    ("7.7", "Clear desk and screen"), ("7.8", "Equipment siting"), ("7.9", "Assets off-premises"),
    ("7.10", "Storage media"), ("7.11", "Supporting utilities"), ("7.12", "Cabling security"),
    ("7.13", "Equipment maintenance"), ("7.14", "Secure disposal or re-use"),
    # 8 Technological
    ("8.1", "User endpoint devices"), ("8.2", "Privileged access"), ("8.3", "Information access restriction"),
    ("8.4", "Source code access"), ("8.5", "Secure authentication"), ("8.6", "Capacity management"),
    ("8.7", "Malware protection"), ("8.8", "Technical vulnerability management"), ("8.9", "Configuration management"),
    ("8.10", "Information deletion"), ("8.11", "Data masking"), ("8.12", "Data leakage prevention"),
    ("8.13", "Backups"), ("8.14", "Redundancy"), ("8.15", "Logging"), ("8.16", "Monitoring"),
    ("8.17", "Clock synchronisation"), ("8.18", "Privileged utility programs"),
    ("8.19", "Software installation on production"), ("8.20", "Network security"),
    ("8.21", "Network services security"), ("8.22", "Network segregation"), ("8.23", "Web filtering"),
    ("8.24", "Cryptography"), ("8.25", "Secure development life cycle"),
    ("8.26", "Application security requirements"), ("8.27", "Secure architecture and engineering"),
    ("8.28", "Secure coding"), ("8.29", "Security testing"), ("8.30", "Outsourced development"),
    ("8.31", "Separate dev, test and production"), ("8.32", "Change management"), ("8.33", "Test information"),
    ("8.34", "Protecting systems during audits"),
]
THEMES = {"5": "organisational", "6": "people", "7": "physical", "8": "technological"}

# (name, task, crontab minute, hour) — daily jobs; editable in the admin afterwards.
SCHEDULES = [
    ("security: nightly training due/overdue", "security.training_status_refresh_task", "30", "2"),
    ("security: bulletin acknowledgement reminders", "security.bulletin_reminders_task", "0", "9"),
    ("security: evidence expiry reminders", "security.evidence_expiry_reminders_task", "15", "9"),
]


def load(apps, schema_editor):
    Control = apps.get_model("security", "Control")
    for code, title in CONTROLS:
        major, minor = code.split(".")
        Control.objects.update_or_create(
            code=code, defaults={"title": title, "theme": THEMES[major], "sort_key": int(major) * 100 + int(minor)}
        )
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab, "enabled": True})


def unload(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()
    apps.get_model("security", "Control").objects.filter(code__in=[c for c, _ in CONTROLS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(load, unload)]
