from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .services import COMMENT_MAX

POINTS = [
    (5, _("5 very satisfied")),
    (4, _("4 satisfied")),
    (3, _("3 so-so")),
    (2, _("2 dissatisfied")),
    (1, _("1 very dissatisfied")),
]


class QuestionnaireForm(forms.Form):
    """One five-point choice per question (`q<id>`), an optional comment, and at the door the
    form's own id (a retry of the same form is one answer)."""

    comment = forms.CharField(
        label=_("Anything else? (optional)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        english = (get_language() or "").startswith("en")
        self.questions = list(questions)
        for question in self.questions:
            self.fields[f"q{question.pk}"] = forms.TypedChoiceField(
                label=question.text_en if english and question.text_en else question.text,
                choices=POINTS,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose 1 to 5 points.")},
            )
        self.order_fields([f"q{question.pk}" for question in self.questions] + ["comment", "client_id"])

    def question_fields(self):
        return [self[f"q{question.pk}"] for question in self.questions]

    def scores(self) -> dict[int, int]:
        return {question.pk: self.cleaned_data[f"q{question.pk}"] for question in self.questions}
