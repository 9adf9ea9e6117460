"""Issue 10: only canvasser and teller access is approved automatically. Tools that auto-approved
anything more are switched to waiting for people (the safe direction) before the rule is added."""

from django.db import migrations, models

LOWEST = ("canvasser", "teller")


def stop_auto_approving_higher_roles(apps, schema_editor):
    Tool = apps.get_model("access", "Tool")
    Tool.objects.filter(auto_approve=True).exclude(role__in=LOWEST).update(auto_approve=False)


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0006_holding_replaced_by_renewal"),
    ]

    operations = [
        migrations.RunPython(stop_auto_approving_higher_roles, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="tool",
            name="auto_approve",
            field=models.BooleanField(
                default=False,
                help_text="Approve at once, without endorsement or review, when every condition holds. "
                "Only for canvasser and teller access.",
            ),
        ),
        migrations.AddConstraint(
            model_name="tool",
            constraint=models.CheckConstraint(
                condition=models.Q(("auto_approve", False), ("role__in", LOWEST), _connector="OR"),
                name="tool_auto_approve_only_lowest_roles",
            ),
        ),
    ]
