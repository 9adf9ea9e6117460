from django.urls import path

from gotv import views, views_board, views_knockup, views_lifts, views_postal, views_rota, views_telling

app_name = "gotv"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.election, name="election"),
    path("<int:pk>/stations/import/", views.stations_import, name="stations_import"),
    path("new/", views.election_create, name="election_create"),
    path("<int:pk>/rooms/new/", views.committee_room_create, name="committee_room_create"),
    # --- Telling: the teller's phone page and the agents' counts (gotv/views_telling.py) ---
    path("telling/", views_telling.telling_home, name="telling_home"),
    path("telling/sw.js", views_telling.telling_service_worker, name="telling_service_worker"),
    path("telling/sync/", views_telling.telling_sync_view, name="telling_sync"),
    path("telling/ping.json", views_telling.telling_ping, name="telling_ping"),
    path("telling/<int:election>/box/<int:box>/", views_telling.telling_box, name="telling_box"),
    path(
        "telling/<int:election>/box/<int:box>/search.json",
        views_telling.telling_search,
        name="telling_search",
    ),
    path("telling/<int:election>/counts/", views_telling.telling_counts, name="telling_counts"),
    path("telling/warp/<int:pk>/invalidate/", views_telling.warp_invalidate, name="warp_invalidate"),
    # --- end of telling ---
    # --- Lifts (gotv-ops) ---
    path("<int:pk>/lifts/", views_lifts.lifts, name="lifts"),
    path("<int:pk>/lifts/new/", views_lifts.lift_create, name="lift_create"),
    path("<int:pk>/lifts/drivers/new/", views_lifts.driver_create, name="driver_create"),
    path("<int:pk>/lifts/<int:lift_pk>/", views_lifts.lift_update, name="lift_update"),
    path("lifts/mine/", views_lifts.my_lifts, name="my_lifts"),
    path("lifts/mine/<int:lift_pk>/", views_lifts.my_lift_update, name="my_lift_update"),
    path("<int:pk>/postal/", views_postal.postal_chase, name="postal_chase"),
    path("<int:pk>/postal/<int:elector_pk>/", views_postal.postal_chase_log, name="postal_chase_log"),
    path("<int:pk>/postal/labels/", views_postal.postal_labels, name="postal_labels"),
    # --- The committee-room board and the constituency overview (gotv-board) ---
    path("<int:pk>/board/", views_board.board, name="board_overview"),
    path("<int:pk>/board/live/", views_board.board_live, name="board_overview_live"),
    path("<int:pk>/board/<int:room_pk>/", views_board.board, name="board"),
    path("<int:pk>/board/<int:room_pk>/live/", views_board.board_live, name="board_live"),
    path("<int:pk>/after-poll/", views_board.after_poll, name="after_poll"),
    # --- The polling-day rota (rota17, gotv/views_rota.py) ---
    path("<int:pk>/rota/", views_rota.rota_page, name="rota"),
    path("<int:pk>/rota/live/", views_rota.rota_live, name="rota_live"),
    path("<int:pk>/rota/create/", views_rota.rota_create, name="rota_create"),
    path("<int:pk>/rota.csv", views_rota.rota_csv, name="rota_csv"),
    # --- Knock-up rounds (gotv-board) ---
    path("<int:pk>/rooms/<int:room_pk>/knockup/", views_knockup.rounds, name="knockup_rounds"),
    path("<int:pk>/knockup/<int:round_pk>/", views_knockup.round_detail, name="knockup_round"),
    path("<int:pk>/knockup/<int:round_pk>/paper/", views_knockup.paper, name="knockup_paper"),
    path("knockup/pack/<int:pack_pk>/", views_knockup.pack, name="knockup_pack"),
    path("knockup/pack/<int:pack_pk>/print/", views_knockup.pack_print, name="knockup_pack_print"),
    path("knockup/pack/<int:pack_pk>/outcome/", views_knockup.outcome, name="knockup_outcome"),
    path("knockup/sync/", views_knockup.sync, name="knockup_sync"),
    # --- The knocker's pack offline (knockup-offline): the service worker, served inside its scope ---
    path("knockup/sw.js", views_knockup.service_worker, name="knockup_service_worker"),
]
