from django.urls import path

from apps.reviews import views

app_name = "reviews"
urlpatterns = [
    path("", views.home, name="home"),
    path("templates/", views.template_list, name="template-list"),
    path("templates/new/", views.template_create, name="template-create"),
    path("cycles/new/", views.cycle_create, name="cycle-create"),
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle-detail"),
    path("cycles/<int:pk>/dates/", views.cycle_dates, name="cycle-dates"),
    path("cycles/<int:pk>/advance/", views.cycle_advance, name="cycle-advance"),
    path("cycles/<int:pk>/calibration/", views.calibration, name="calibration"),
    path("cycles/<int:pk>/raises/", views.raise_list, name="raise-list"),
    path("cycles/<int:pk>/raises/new/", views.raise_create, name="raise-create"),
    path("cycles/<int:pk>/export.csv", views.cycle_export, name="cycle-export"),
    path("reviews/<int:pk>/", views.review_detail, name="review-detail"),
    path("reviews/<int:pk>/self/", views.review_self, name="review-self"),
    path("reviews/<int:pk>/manager/", views.review_manager, name="review-manager"),
    path("reviews/<int:pk>/calibrate/", views.review_calibrate, name="review-calibrate"),
    path("reviews/<int:pk>/acknowledge/", views.review_acknowledge, name="review-acknowledge"),
    path("raises/<int:pk>/", views.raise_detail, name="raise-detail"),
    path("raises/<int:pk>/decide/", views.raise_decide, name="raise-decide"),
    path("pay/", views.compensation_list, name="compensation-list"),
    path("pay/<int:pk>/", views.compensation_person, name="compensation-person"),
    path("pay/<int:pk>/new/", views.compensation_create, name="compensation-create"),
    path("bands/", views.band_list, name="band-list"),
    path("bands/new/", views.band_create, name="band-create"),
]
