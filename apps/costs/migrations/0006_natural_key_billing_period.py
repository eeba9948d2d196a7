
import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('costs', '0005_costentry_indexes'),
        ('org', '0001_initial'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='costentry',
            name='costentry_natural_key',
        ),
        migrations.RemoveConstraint(
            model_name='costtagentry',
            name='costtagentry_natural_key',
        ),
        migrations.AddConstraint(
            model_name='costentry',
            constraint=models.UniqueConstraint(models.F('date'), models.F('billing_period'), models.F('provider'), models.F('billing_account_id'), models.F('sub_account_id'), models.F('service'), models.F('region'), django.db.models.functions.comparison.Coalesce('team', models.Value(0)), models.F('currency'), name='costentry_natural_key'),
        ),
        migrations.AddConstraint(
            model_name='costtagentry',
            constraint=models.UniqueConstraint(fields=('date', 'billing_period', 'provider', 'billing_account_id', 'sub_account_id', 'tag_key', 'tag_value', 'currency'), name='costtagentry_natural_key'),
        ),
    ]
