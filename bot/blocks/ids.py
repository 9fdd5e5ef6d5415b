"""Action, block and callback ids shared by the renderers and the handlers."""

from __future__ import annotations

from enum import StrEnum


class ActionId(StrEnum):
    ALERT_ACK = "alert_ack"
    ALERT_RESOLVE = "alert_resolve"
    ALERT_SNOOZE = "alert_snooze"
    ALERT_MORE = "alert_more"
    ALERT_DECLARE_INCIDENT = "alert_declare_incident"
    INCIDENT_ACK = "incident_ack"
    INCIDENT_UPDATE = "incident_update"
    INCIDENT_RESOLVE = "incident_resolve"
    TICKET_OPEN = "ticket_open"
    HOME_REFRESH = "home_refresh"
    REVIEW_TICK = "review_tick"
    REVIEW_OWNER = "review_owner"


class BlockId(StrEnum):
    ALERT_ACTIONS = "alert_actions"
    INCIDENT_ACTIONS = "incident_actions"
    INCIDENT_TITLE = "incident_title"
    INCIDENT_SEVERITY = "incident_severity"
    INCIDENT_TEAM = "incident_team"
    INCIDENT_SERVICE = "incident_service"
    INCIDENT_DESCRIPTION = "incident_description"
    INCIDENT_TEXT = "incident_text"
    TICKET_TITLE = "ticket_title"
    TICKET_DESCRIPTION = "ticket_description"
    TICKET_AREA = "ticket_area"
    TICKET_IMPACT = "ticket_impact"
    TICKET_EFFORT = "ticket_effort"
    TICKET_METRIC = "ticket_metric"
    TICKET_TEAM = "ticket_team"


class CallbackId(StrEnum):
    INCIDENT_DECLARE = "incident_declare"
    INCIDENT_UPDATE = "incident_update_modal"
    INCIDENT_RESOLVE = "incident_resolve_modal"
    TICKET_NEW = "ticket_new"
