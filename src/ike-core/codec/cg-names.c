/* cg-names.c: names of payloads, exchanges and notify types for logs
 * (IANA "IKEv2 Parameters"). */
#include "cg-codec-private.h"

const char *
cg_payload_type_name(guint8 type)
{
    switch (type) {
        case CG_PL_NONE:
            return "NONE";
        case CG_PL_SA:
            return "SA";
        case CG_PL_KE:
            return "KE";
        case CG_PL_IDI:
            return "IDi";
        case CG_PL_IDR:
            return "IDr";
        case CG_PL_CERT:
            return "CERT";
        case CG_PL_CERTREQ:
            return "CERTREQ";
        case CG_PL_AUTH:
            return "AUTH";
        case CG_PL_NONCE:
            return "Ni/Nr";
        case CG_PL_NOTIFY:
            return "N";
        case CG_PL_DELETE:
            return "D";
        case CG_PL_VENDOR:
            return "V";
        case CG_PL_TSI:
            return "TSi";
        case CG_PL_TSR:
            return "TSr";
        case CG_PL_SK:
            return "SK";
        case CG_PL_CP:
            return "CP";
        case CG_PL_EAP:
            return "EAP";
        case CG_PL_SKF:
            return "SKF";
        default:
            return "unknown-payload";
    }
}

const char *
cg_exchange_name(guint8 type)
{
    switch (type) {
        case CG_EXCH_IKE_SA_INIT:
            return "IKE_SA_INIT";
        case CG_EXCH_IKE_AUTH:
            return "IKE_AUTH";
        case CG_EXCH_CREATE_CHILD_SA:
            return "CREATE_CHILD_SA";
        case CG_EXCH_INFORMATIONAL:
            return "INFORMATIONAL";
        default:
            return "unknown-exchange";
    }
}

const char *
cg_notify_name(guint16 type)
{
    switch (type) {
        case CG_N_UNSUPPORTED_CRITICAL_PAYLOAD:
            return "UNSUPPORTED_CRITICAL_PAYLOAD";
        case CG_N_INVALID_IKE_SPI:
            return "INVALID_IKE_SPI";
        case CG_N_INVALID_MAJOR_VERSION:
            return "INVALID_MAJOR_VERSION";
        case CG_N_INVALID_SYNTAX:
            return "INVALID_SYNTAX";
        case CG_N_INVALID_MESSAGE_ID:
            return "INVALID_MESSAGE_ID";
        case CG_N_INVALID_SPI:
            return "INVALID_SPI";
        case CG_N_NO_PROPOSAL_CHOSEN:
            return "NO_PROPOSAL_CHOSEN";
        case CG_N_INVALID_KE_PAYLOAD:
            return "INVALID_KE_PAYLOAD";
        case CG_N_AUTHENTICATION_FAILED:
            return "AUTHENTICATION_FAILED";
        case CG_N_SINGLE_PAIR_REQUIRED:
            return "SINGLE_PAIR_REQUIRED";
        case CG_N_NO_ADDITIONAL_SAS:
            return "NO_ADDITIONAL_SAS";
        case CG_N_INTERNAL_ADDRESS_FAILURE:
            return "INTERNAL_ADDRESS_FAILURE";
        case CG_N_FAILED_CP_REQUIRED:
            return "FAILED_CP_REQUIRED";
        case CG_N_TS_UNACCEPTABLE:
            return "TS_UNACCEPTABLE";
        case CG_N_INVALID_SELECTORS:
            return "INVALID_SELECTORS";
        case CG_N_TEMPORARY_FAILURE:
            return "TEMPORARY_FAILURE";
        case CG_N_CHILD_SA_NOT_FOUND:
            return "CHILD_SA_NOT_FOUND";
        case CG_N_INITIAL_CONTACT:
            return "INITIAL_CONTACT";
        case CG_N_SET_WINDOW_SIZE:
            return "SET_WINDOW_SIZE";
        case CG_N_ADDITIONAL_TS_POSSIBLE:
            return "ADDITIONAL_TS_POSSIBLE";
        case CG_N_IPCOMP_SUPPORTED:
            return "IPCOMP_SUPPORTED";
        case CG_N_NAT_DETECTION_SOURCE_IP:
            return "NAT_DETECTION_SOURCE_IP";
        case CG_N_NAT_DETECTION_DESTINATION_IP:
            return "NAT_DETECTION_DESTINATION_IP";
        case CG_N_COOKIE:
            return "COOKIE";
        case CG_N_USE_TRANSPORT_MODE:
            return "USE_TRANSPORT_MODE";
        case CG_N_HTTP_CERT_LOOKUP_SUPPORTED:
            return "HTTP_CERT_LOOKUP_SUPPORTED";
        case CG_N_REKEY_SA:
            return "REKEY_SA";
        case CG_N_ESP_TFC_PADDING_NOT_SUPPORTED:
            return "ESP_TFC_PADDING_NOT_SUPPORTED";
        case CG_N_NON_FIRST_FRAGMENTS_ALSO:
            return "NON_FIRST_FRAGMENTS_ALSO";
        case CG_N_MOBIKE_SUPPORTED:
            return "MOBIKE_SUPPORTED";
        case CG_N_ADDITIONAL_IP4_ADDRESS:
            return "ADDITIONAL_IP4_ADDRESS";
        case CG_N_ADDITIONAL_IP6_ADDRESS:
            return "ADDITIONAL_IP6_ADDRESS";
        case CG_N_NO_ADDITIONAL_ADDRESSES:
            return "NO_ADDITIONAL_ADDRESSES";
        case CG_N_UPDATE_SA_ADDRESSES:
            return "UPDATE_SA_ADDRESSES";
        case CG_N_COOKIE2:
            return "COOKIE2";
        case CG_N_NO_NATS_ALLOWED:
            return "NO_NATS_ALLOWED";
        case CG_N_EAP_ONLY_AUTHENTICATION:
            return "EAP_ONLY_AUTHENTICATION";
        case CG_N_IKEV2_FRAGMENTATION_SUPPORTED:
            return "IKEV2_FRAGMENTATION_SUPPORTED";
        case CG_N_SIGNATURE_HASH_ALGORITHMS:
            return "SIGNATURE_HASH_ALGORITHMS";
        default:
            return CG_NOTIFY_IS_ERROR(type) ? "unknown-error-notify" : "unknown-status-notify";
    }
}
