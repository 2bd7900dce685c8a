from django.contrib import admin

from core.admin import ReadOnlyAdminMixin, ReadOnlyTabularInline

from .models import Answer, Question, Questionnaire, SurveyResponse


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ["position", "text", "text_en"]
    extra = 3


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    """A street's questions (居民评社区): five-point answers and a comment. Questions already
    answered cannot be deleted (their answers keep them); switch the questionnaire off and
    make a new one to ask differently."""

    list_display = ["title", "street", "active", "created_at"]
    list_filter = ["street", "active"]
    fields = ["street", "title", "intro", "active"]
    inlines = [QuestionInline]

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.responses.exists()


class AnswerInline(ReadOnlyTabularInline):
    model = Answer
    fields = ["question", "score"]


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["questionnaire", "committee", "zone", "via", "created_at"]
    list_filter = ["questionnaire__street", "via", "committee"]
    fields = ["questionnaire", "street", "committee", "zone", "via", "comment", "created_at"]
    readonly_fields = fields
    inlines = [AnswerInline]
    list_select_related = ["questionnaire", "committee", "zone"]
