from django.db import models


class DigestSent(models.Model):
    """The weekly digest claimed for one recipient and one week (the Monday it belongs to).
    Written in the same transaction that sends the mail, so a second run of the task in the
    same week (beat firing twice, a re-delivered task) finds the row and sends nothing."""

    week_start = models.DateField(help_text="The Monday of the week the digest covers.")
    recipient = models.EmailField()
    person = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-week_start", "recipient"]
        constraints = [
            models.UniqueConstraint(fields=["week_start", "recipient"], name="dashboard_digest_once_per_week"),
        ]
        verbose_name = "weekly digest sent"
        verbose_name_plural = "weekly digests sent"

    def __str__(self) -> str:
        return f"Digest {self.week_start:%G-W%V} to {self.recipient}"
