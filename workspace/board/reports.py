"""The supervisors' reports page in the admin (/admin/reports/) and its CSV export."""

import csv
import datetime as dt

from django import forms
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from interactions.models import Channel
from interactions.reports import FIGURE_ROWS, ReportFilters, report_figures
from social.models import XAccount
from social.spend import spend_between
from workspace.agents.models import Team
from workspace.board import charts

MAX_DAYS = 366


class ReportForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    agent = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(agent_profile__isnull=False).order_by("username"),
        required=False,
        empty_label="All agents",
    )
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False, empty_label="All teams")
    channel = forms.ChoiceField(choices=[("", "All channels"), *Channel.choices], required=False)
    x_account = forms.ModelChoiceField(
        queryset=XAccount.objects.all(), required=False, empty_label="All X accounts", label="X account"
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError("The end date is before the start date.")
            if (end - start).days >= MAX_DAYS:
                raise forms.ValidationError(f"Pick at most {MAX_DAYS} days.")
        return data

    def filters(self) -> ReportFilters:
        data = self.cleaned_data
        return ReportFilters(
            start=data["start"],
            end=data["end"],
            agent_id=data["agent"].pk if data["agent"] else None,
            team_id=data["team"].pk if data["team"] else None,
            channel=data["channel"],
            x_account_id=data["x_account"].pk if data["x_account"] else None,
        )


def _form(request: HttpRequest) -> ReportForm:
    """The filters from the query string; the last seven days when none are given."""
    today = timezone.localdate()
    data = request.GET.copy()
    data.setdefault("start", (today - dt.timedelta(days=6)).isoformat())
    data.setdefault("end", today.isoformat())
    return ReportForm(data)


def format_seconds(value: float | None) -> str:
    """90 → "1 min 30 s"; 4000 → "1 h 6 min"; None → "—"."""
    if value is None:
        return "—"
    seconds = round(value)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _usd(amount) -> str:
    return "" if amount is None else f"{amount:.6f}"


def _spend(filters: ReportFilters):
    """X's charges of the report's days (X bills UTC days) for its X account, or all of them."""
    return spend_between(start=filters.start, end=filters.end, account_id=filters.x_account_id)


@staff_member_required
@require_safe
def report_page(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    context = {**admin.site.each_context(request), "title": "Reports", "form": form, "figures": None}
    if form.is_valid():
        figures = report_figures(filters=form.filters())
        rows = []
        for label, attribute, unit in FIGURE_ROWS:
            value = getattr(figures, attribute)
            rows.append((label, format_seconds(value) if unit == "seconds" else value, attribute))
        context.update(
            figures=figures,
            rows=rows,
            volume_chart=charts.volume_chart(figures.volume_per_day),
            sentiment_chart=charts.sentiment_chart(
                figures.sentiment_negative, figures.sentiment_neutral, figures.sentiment_positive
            ),
            query=request.GET.urlencode(),
            spend=_spend(form.filters()),
        )
    return render(request, "admin/reports/report.html", context, status=200 if form.is_valid() else 400)


@staff_member_required
@require_safe
def report_csv(request: HttpRequest) -> HttpResponse:
    """The same figures as the page: one row per figure (times in seconds), then the volume per day."""
    form = _form(request)
    if not form.is_valid():
        errors = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponse(f"Bad report filters: {errors}\n", status=400, content_type="text/plain")
    filters = form.filters()
    figures = report_figures(filters=filters)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="perch-report-{filters.start}-{filters.end}.csv"'
    writer = csv.writer(response)
    writer.writerow(["figure", "value", "unit"])
    for label, attribute, unit in FIGURE_ROWS:
        value = getattr(figures, attribute)
        writer.writerow([label, "" if value is None else value, unit])
    writer.writerow([])
    writer.writerow(["day", "messages in", "messages out"])
    for day, inbound, outbound in figures.volume_per_day:
        writer.writerow([day.isoformat(), inbound, outbound])
    spend = _spend(filters)
    writer.writerow([])
    writer.writerow(["x account", "endpoint", "price", "calls", "billed", "free re-reads", "usd"])
    for row in spend.rows:
        writer.writerow([row.account, row.endpoint, row.price, row.calls, row.units, row.free_units, _usd(row.amount)])
    writer.writerow(["all", "", "", "", "", "", _usd(spend.total)])
    writer.writerow(["per handled conversation", "", "", "", spend.handled, "", _usd(spend.per_conversation)])
    return response
