/// The stable fault keys of the taxonomy (spec section 4), numbered as most Chinese lift IoT platforms do.
public enum FaultKey: String, Sendable, Hashable, CaseIterable, Codable {
    case overtravelTop = "overtravel_top"
    case overtravelBottom = "overtravel_bottom"
    case overspeed
    case doorOpenWhileRunning = "door_open_while_running"
    case unintendedMovement = "unintended_movement"
    case stoppedOutsideDoorZone = "stopped_outside_door_zone"
    case entrapmentAtFloor = "entrapment_at_floor"
    case entrapmentBetweenFloors = "entrapment_between_floors"
    case powerFailure = "power_failure"
    case safetyCircuitOpen = "safety_circuit_open"
    case doorOpenFailure = "door_open_failure"
    case doorCloseFailure = "door_close_failure"
    case doorLockCircuitOpen = "door_lock_circuit_open"
    case buttonStuck = "button_stuck"
    case speedAbnormal = "speed_abnormal"
    case brakeFault = "brake_fault"
    case motorRuntimeLimiter = "motor_runtime_limiter"
    case temperatureSensorFault = "temperature_sensor_fault"
    case floorPositionLost = "floor_position_lost"
    case doorObstructed = "door_obstructed"
    case alarmButton = "alarm_button"
    case batteryLow = "battery_low"

    /// The number in the default numbering (GB/T 24476 derived): 1…22 in declaration order.
    public var standardNumber: Int { FaultKey.allCases.firstIndex(of: self)! + 1 }

    /// The class of the fault when nothing about the car is known. `power_failure` and `alarm_button` may be a
    /// rescue depending on the car: `FaultAssessment` decides those.
    public var baseClass: FaultClass {
        switch self {
        case .overtravelTop, .overtravelBottom, .overspeed, .doorOpenWhileRunning, .unintendedMovement,
            .safetyCircuitOpen, .doorLockCircuitOpen, .brakeFault:
            .safety
        case .entrapmentAtFloor, .entrapmentBetweenFloors:
            .rescue
        case .stoppedOutsideDoorZone, .powerFailure, .doorOpenFailure, .doorCloseFailure, .speedAbnormal,
            .motorRuntimeLimiter, .floorPositionLost:
            .repair
        case .buttonStuck, .temperatureSensorFault, .doorObstructed, .alarmButton, .batteryLow:
            .minor
        }
    }

    /// What the fault means, in English and Chinese as the platforms name it.
    public var meaning: String {
        switch self {
        case .overtravelTop: "car overtravels the top terminal (冲顶)"
        case .overtravelBottom: "car overtravels into the pit (蹲底)"
        case .overspeed: "overspeed (超速)"
        case .doorOpenWhileRunning: "door opens while running (运行中开门)"
        case .unintendedMovement: "car moves with doors open (开门走车)"
        case .stoppedOutsideDoorZone: "stopped outside the unlocking zone (门区外停梯)"
        case .entrapmentAtFloor: "passengers trapped, car at a floor (平层关人)"
        case .entrapmentBetweenFloors: "passengers trapped between floors (非平层关人)"
        case .powerFailure: "mains power lost (停电)"
        case .safetyCircuitOpen: "safety chain open (安全回路断路)"
        case .doorOpenFailure: "door fails to open (开门故障)"
        case .doorCloseFailure: "door fails to close (关门故障)"
        case .doorLockCircuitOpen: "door-lock circuit open (门锁回路断路)"
        case .buttonStuck: "stuck call button (按钮粘连)"
        case .speedAbnormal: "abnormal running speed (速度异常)"
        case .brakeFault: "braking system fault (制动系统故障)"
        case .motorRuntimeLimiter: "motor run-time limiter tripped (电动机运转时间限制器动作)"
        case .temperatureSensorFault: "temperature sensor fault"
        case .floorPositionLost: "floor position lost (楼层信息丢失)"
        case .doorObstructed: "door obstructed while closing (关门受阻)"
        case .alarmButton: "alarm button pressed (用户报警)"
        case .batteryLow: "terminal backup battery low"
        }
    }
}

/// How urgent a fault is; decides the ticket type (spec sections 4 and 5).
public enum FaultClass: String, Sendable, Hashable, CaseIterable, Codable {
    case safety, repair, rescue, minor
}
