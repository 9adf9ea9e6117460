from django.urls import path

from gotv import views, views_board, views_knockup

app_name = "gotv"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.election, name="election"),
    path("<int:pk>/stations/import/", views.stations_import, name="stations_import"),
    # --- The committee-room board and the constituency overview (gotv-board) ---
    path("<int:pk>/board/", views_board.board, name="board_overview"),
    path("<int:pk>/board/live/", views_board.board_live, name="board_overview_live"),
    path("<int:pk>/board/<int:room_pk>/", views_board.board, name="board"),
    path("<int:pk>/board/<int:room_pk>/live/", views_board.board_live, name="board_live"),
    path("<int:pk>/after-poll/", views_board.after_poll, name="after_poll"),
    # --- Knock-up rounds (gotv-board) ---
    path("<int:pk>/rooms/<int:room_pk>/knockup/", views_knockup.rounds, name="knockup_rounds"),
    path("<int:pk>/knockup/<int:round_pk>/", views_knockup.round_detail, name="knockup_round"),
    path("<int:pk>/knockup/<int:round_pk>/paper/", views_knockup.paper, name="knockup_paper"),
    path("knockup/pack/<int:pack_pk>/", views_knockup.pack, name="knockup_pack"),
    path("knockup/pack/<int:pack_pk>/print/", views_knockup.pack_print, name="knockup_pack_print"),
    path("knockup/pack/<int:pack_pk>/outcome/", views_knockup.outcome, name="knockup_outcome"),
    path("knockup/sync/", views_knockup.sync, name="knockup_sync"),
]
