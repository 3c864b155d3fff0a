// Always "UP" while the agent runs: the receiver derives DOWN from silence (SPEC §9).
import { defineItem } from "../item.ts";

export const deviceStatus = defineItem({ id: "deviceStatus", type: "string", read: () => "UP" });
