"""Budgets and tag rules are protected from a team's (or an account's) delete; savings
opportunities record where their estimate comes from, so a sync never overwrites one a person
entered. Existing opportunities made by a sync count as computed (or to be estimated at zero)."""

import django.db.models.deletion
from django.db import migrations, models


def classify_estimates(apps, schema_editor):
    SavingsOpportunity = apps.get_model("costs", "SavingsOpportunity")
    synced = SavingsOpportunity.objects.filter(source__in=["idle", "rightsizing"])
    synced.filter(estimated_monthly=0).update(estimate_source="pending")
    synced.exclude(estimated_monthly=0).update(estimate_source="computed")


class Migration(migrations.Migration):

    dependencies = [
        ('costs', '0007_iso_currencies'),
        ('org', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='savingsopportunity',
            name='estimate_source',
            field=models.CharField(choices=[('pending', 'To be estimated'), ('computed', 'Computed by a sync'), ('entered', 'Entered by a person')], default='entered', help_text='Where the estimate comes from: a sync refreshes only an estimate it computed itself (or one still to be estimated), never one a person entered.', max_length=8),
        ),
        migrations.RunPython(classify_estimates, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='budget',
            name='account',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='budgets', to='costs.awsaccount'),
        ),
        migrations.AlterField(
            model_name='budget',
            name='team',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='budgets', to='org.team'),
        ),
        migrations.AlterField(
            model_name='tagrule',
            name='team',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='cost_tag_rules', to='org.team'),
        ),
    ]
