from django.urls import path

from gotv import views, views_board

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
]
