
import apps.core.currencies
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('costs', '0006_natural_key_billing_period'),
    ]

    operations = [
        migrations.AlterField(
            model_name='budget',
            name='currency',
            field=models.CharField(max_length=3, validators=[apps.core.currencies.CurrencyValidator()]),
        ),
        migrations.AlterField(
            model_name='budgetalert',
            name='currency',
            field=models.CharField(max_length=3, validators=[apps.core.currencies.CurrencyValidator()]),
        ),
        migrations.AlterField(
            model_name='costanomaly',
            name='currency',
            field=models.CharField(max_length=3, validators=[apps.core.currencies.CurrencyValidator()]),
        ),
        migrations.AlterField(
            model_name='costentry',
            name='currency',
            field=models.CharField(max_length=3, validators=[apps.core.currencies.CurrencyValidator()]),
        ),
        migrations.AlterField(
            model_name='costforecast',
            name='currency',
            field=models.CharField(max_length=3, validators=[apps.core.currencies.CurrencyValidator()]),
        ),
        migrations.AlterField(
            model_name='costmonthentry',
            name='currency',
            field=models.CharField(max_length=3, validators=[apps.core.currencies.CurrencyValidator()]),
        ),
        migrations.AlterField(
            model_name='costtagentry',
            name='currency',
            field=models.CharField(max_length=3, validators=[apps.core.currencies.CurrencyValidator()]),
        ),
        migrations.AlterField(
            model_name='fxrate',
            name='currency',
            field=models.CharField(max_length=3, validators=[apps.core.currencies.CurrencyValidator()]),
        ),
        migrations.AlterField(
            model_name='savingsopportunity',
            name='currency',
            field=models.CharField(max_length=3, validators=[apps.core.currencies.CurrencyValidator()]),
        ),
        migrations.AlterField(
            model_name='toolsubscription',
            name='currency',
            field=models.CharField(max_length=3, validators=[apps.core.currencies.CurrencyValidator()]),
        ),
        migrations.AlterField(
            model_name='topresource',
            name='currency',
            field=models.CharField(max_length=3, validators=[apps.core.currencies.CurrencyValidator()]),
        ),
    ]
