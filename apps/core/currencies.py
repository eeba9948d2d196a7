"""The currencies money may be entered in: the ISO 4217 codes of currencies in use (2025), not
the fund codes (BOV, CLF, USN, ...), precious metals (XAU, ...), the testing code XTS or the
"no currency" code.

Billing data imported from cloud providers keeps whatever three-letter code the provider wrote;
what people type into the portal (budgets, subscriptions, FX rates, estimates) is checked here,
so an amount can always be converted and shown."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

ISO_4217 = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP
GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD
KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK
NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS
SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST
XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
""".split())


@deconstructible(path="apps.core.currencies.CurrencyValidator")
class CurrencyValidator:
    message = "{value!r} is not an ISO 4217 currency code in use (such as USD or EUR)."

    def __call__(self, value) -> None:
        if value not in ISO_4217:
            raise ValidationError(self.message.format(value=value), code="currency")

    def __eq__(self, other) -> bool:
        return isinstance(other, CurrencyValidator)

    def __hash__(self) -> int:
        return hash(type(self))


validate_currency = CurrencyValidator()
