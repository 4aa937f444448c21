/**
 * The resources of the test Redfish service (test/helpers/redfish-emulator.ts) in DMTF schema shapes:
 * ServiceRoot, Systems/1 (PowerState, #ComputerSystem.Reset), Chassis/1 with Power and Thermal, and
 * the SessionService. Built fresh from the state on every request, so they always show it.
 */

export const RESET_TYPES = [
  "On",
  "ForceOff",
  "GracefulShutdown",
  "GracefulRestart",
  "ForceRestart",
  "PowerCycle",
];
const ODATA = "/redfish/v1/$metadata";

export interface EmulatorState {
  powerState: "On" | "Off";
  watts: number;
  temps: number[];
  assetTag: string;
  resets: string[];
}

export function redfishResources(state: EmulatorState, sessionIds: string[]): Record<string, object> {
  return {
    "/redfish/v1": {
      "@odata.id": "/redfish/v1",
      "@odata.type": "#ServiceRoot.v1_15_0.ServiceRoot",
      "@odata.context": `${ODATA}#ServiceRoot.ServiceRoot`,
      Id: "RootService",
      Name: "Umbra Test Redfish Service",
      RedfishVersion: "1.17.0",
      Systems: { "@odata.id": "/redfish/v1/Systems" },
      Chassis: { "@odata.id": "/redfish/v1/Chassis" },
      SessionService: { "@odata.id": "/redfish/v1/SessionService" },
      Links: { Sessions: { "@odata.id": "/redfish/v1/SessionService/Sessions" } },
    },
    "/redfish/v1/Systems": collection("Systems", "#ComputerSystemCollection.ComputerSystemCollection", ["1"]),
    "/redfish/v1/Systems/1": {
      "@odata.id": "/redfish/v1/Systems/1",
      "@odata.type": "#ComputerSystem.v1_20_0.ComputerSystem",
      Id: "1",
      Name: "Test Server",
      SystemType: "Physical",
      Manufacturer: "Contoso",
      Model: "TS-100",
      SerialNumber: "TS100-0001",
      AssetTag: state.assetTag,
      PowerState: state.powerState,
      Status: { State: "Enabled", Health: "OK" },
      Actions: {
        "#ComputerSystem.Reset": {
          target: "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset",
          "ResetType@Redfish.AllowableValues": RESET_TYPES,
        },
      },
    },
    "/redfish/v1/Chassis": collection("Chassis", "#ChassisCollection.ChassisCollection", ["1"]),
    "/redfish/v1/Chassis/1": {
      "@odata.id": "/redfish/v1/Chassis/1",
      "@odata.type": "#Chassis.v1_23_0.Chassis",
      Id: "1",
      Name: "Test Chassis",
      ChassisType: "RackMount",
      PowerState: state.powerState,
      Power: { "@odata.id": "/redfish/v1/Chassis/1/Power" },
      Thermal: { "@odata.id": "/redfish/v1/Chassis/1/Thermal" },
    },
    "/redfish/v1/Chassis/1/Power": {
      "@odata.id": "/redfish/v1/Chassis/1/Power",
      "@odata.type": "#Power.v1_7_1.Power",
      Id: "Power",
      Name: "Power",
      PowerControl: [
        {
          "@odata.id": "/redfish/v1/Chassis/1/Power#/PowerControl/0",
          MemberId: "0",
          Name: "System Power Control",
          PowerConsumedWatts: state.powerState === "On" ? state.watts : null,
        },
      ],
    },
    "/redfish/v1/Chassis/1/Thermal": {
      "@odata.id": "/redfish/v1/Chassis/1/Thermal",
      "@odata.type": "#Thermal.v1_7_1.Thermal",
      Id: "Thermal",
      Name: "Thermal",
      Temperatures: state.temps.map((t, i) => ({
        "@odata.id": `/redfish/v1/Chassis/1/Thermal#/Temperatures/${i}`,
        MemberId: String(i),
        Name: `CPU${i + 1} Temp`,
        ReadingCelsius: t,
        Status: { State: "Enabled", Health: "OK" },
      })),
    },
    "/redfish/v1/SessionService": {
      "@odata.id": "/redfish/v1/SessionService",
      "@odata.type": "#SessionService.v1_1_9.SessionService",
      Id: "SessionService",
      Name: "Session Service",
      ServiceEnabled: true,
      SessionTimeout: 1800,
      Sessions: { "@odata.id": "/redfish/v1/SessionService/Sessions" },
    },
    "/redfish/v1/SessionService/Sessions": collection(
      "SessionService/Sessions",
      "#SessionCollection.SessionCollection",
      sessionIds,
    ),
  };
}

function collection(path: string, type: string, ids: string[]): object {
  const base = `/redfish/v1/${path}`;
  return {
    "@odata.id": base,
    "@odata.type": type,
    Name: `${path} Collection`,
    "Members@odata.count": ids.length,
    Members: ids.map((id) => ({ "@odata.id": `${base}/${id}` })),
  };
}

export function session(id: string, user: string): object {
  return {
    "@odata.id": `/redfish/v1/SessionService/Sessions/${id}`,
    "@odata.type": "#Session.v1_7_0.Session",
    Id: id,
    Name: "User Session",
    UserName: user,
  };
}

/** A Redfish error body (DSP0266 §9.6). */
export function error(messageId: string, message: string): object {
  return {
    error: {
      code: messageId,
      message,
      "@Message.ExtendedInfo": [
        { "@odata.type": "#Message.v1_1_1.Message", MessageId: messageId, Message: message },
      ],
    },
  };
}
